/* test_cgroup.c: cgroups. The parsers and conversions run on sample text
 * (v1, v2 and hybrid layouts); the lifecycle tests, as root, make real
 * cgroups under "/berth-test-<pid>" with a forked child in them: v1
 * through /sys/fs/cgroup (this project's hosts are hybrid), and v2's core
 * (procs, freeze, kill, cpu.stat, device filter) through a cgroup2 mount
 * such as a hybrid host's /sys/fs/cgroup/unified. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "runtime/linux/cgroup.h"
#include "runtime/linux/cgroup_internal.h"

#define ROOT	"/sys/fs/cgroup"
#define UNIFIED "/sys/fs/cgroup/unified"
#define BIT(c)	BERTH_CG_BIT(BERTH_CG_##c)

static char top[64]; /* "berth-test-<pid>" */

/* ------------------------------------------------------------ samples */

/* This project's machines: v1 controllers, name=systemd, and a v2 mount
 * holding only hugetlb. */
static const char hybrid_mountinfo[] =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* systemd's hybrid layout: combined mounts, optional fields, a bind mount
 * of memory elsewhere below the root, a mount outside it. */
static const char systemd_mountinfo[] =
    "25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid shared:10 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:13 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw shared:14 - cgroup cgroup "
    "rw,net_cls,net_prio\n"
    "32 25 0:29 / /sys/fs/cgroup/memory rw shared:15 - cgroup cgroup rw,memory\n"
    "33 25 0:30 / /sys/fs/cgroup/pids rw shared:16 - cgroup cgroup rw,pids\n"
    "37 25 0:32 / /sys/fs/cgroup/devices rw shared:17 - cgroup cgroup rw,devices\n"
    "34 25 0:29 / /sys/fs/cgroup/memory\\040again rw shared:15 - cgroup cgroup rw,memory\n"
    "35 22 0:29 / /sys/fs/cgroupx rw shared:15 - cgroup cgroup rw,freezer\n"
    "36 25 0:31 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n";

static const char v2_mountinfo[] =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

static void test_parse_controllers(void **state)
{
	assert_int_equal(berth_cg_parse_controllers("rw,cpu,cpuacct", ',', false),
			 BIT(CPU) | BIT(CPUACCT));
	assert_int_equal(berth_cg_parse_controllers("rw,xattr,name=systemd", ',', false), 0);
	assert_int_equal(berth_cg_parse_controllers("rw,blkio,clone_children", ',', false),
			 BIT(BLKIO));
	assert_int_equal(berth_cg_parse_controllers("cpuset cpu io memory pids\n", ' ', true),
			 BIT(CPUSET) | BIT(CPU) | BIT(BLKIO) | BIT(MEMORY) | BIT(PIDS));
	assert_int_equal(berth_cg_parse_controllers("blkio", ' ', true), 0);
	assert_int_equal(berth_cg_parse_controllers("", ' ', true), 0);
	assert_string_equal(berth_cg_controller_name(BERTH_CG_BLKIO, true), "io");
	assert_string_equal(berth_cg_controller_name(BERTH_CG_BLKIO, false), "blkio");
}

static size_t parse_select(const char *text, const char *root, struct berth_cgroup_mount **m,
			   int *version, uint32_t v2_controllers)
{
	berth_error_t err = NULL;
	size_t n = 0, i;

	assert_int_equal(berth_cg_parse_mountinfo(text, root, m, &n, &err), 0);
	for (i = 0; i < n; i++)
		if ((*m)[i].v2)
			(*m)[i].controllers = v2_controllers;
	return berth_cg_select_mounts(*m, n, root, version);
}

static void test_mountinfo_hybrid(void **state)
{
	struct berth_cgroup_mount *m = NULL;
	berth_error_t err = NULL;
	int version = 0;
	size_t n = 0, i;
	uint32_t all = 0;

	/* parsing alone: 8 v1 hierarchies (systemd left out) and unified */
	assert_int_equal(berth_cg_parse_mountinfo(hybrid_mountinfo, ROOT "/", &m, &n, &err), 0);
	assert_int_equal(n, 9);
	assert_string_equal(m[0].mountpoint, "/sys/fs/cgroup/cpu");
	assert_true(m[8].v2);
	berth_cg_mounts_free(m, n);
	/* hugetlb alone on v2: v2 is not used */
	n = parse_select(hybrid_mountinfo, ROOT, &m, &version, BIT(HUGETLB));
	assert_int_equal(version, 1);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++) {
		assert_false(m[i].v2);
		all |= m[i].controllers;
	}
	assert_int_equal(all, BIT(CPU) | BIT(CPUACCT) | BIT(CPUSET) | BIT(MEMORY) | BIT(DEVICES) |
				  BIT(FREEZER) | BIT(BLKIO) | BIT(PIDS));
	berth_cg_mounts_free(m, n);
	assert_int_equal(berth_cgroup_host_version(ROOT "/no-such-dir"), 1);
}

static void test_mountinfo_combined_and_dups(void **state)
{
	struct berth_cgroup_mount *m = NULL;
	int version = 0;
	size_t n;

	/* v2 offers memory too, but v1 has it; v1 lacks cpuset, io... and
	 * v2 has only memory: the unified mount is not needed */
	n = parse_select(systemd_mountinfo, ROOT, &m, &version, BIT(MEMORY));
	assert_int_equal(version, 1);
	/* cpu,cpuacct + net_cls,net_prio + memory + pids + devices +
	 * freezer; the second memory mount and /sys/fs/cgroupx are left out;
	 * freezer, cpuacct and devices are on v1, so v2's implicit ones are
	 * not needed either */
	assert_int_equal(n, 6);
	assert_string_equal(m[0].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(m[0].controllers, BIT(CPU) | BIT(CPUACCT));
	assert_int_equal(m[1].controllers, BIT(NET_CLS) | BIT(NET_PRIO));
	assert_string_equal(m[2].mountpoint, "/sys/fs/cgroup/memory");
	assert_string_equal(m[5].mountpoint, "/sys/fs/cgroup/freezer");
	berth_cg_mounts_free(m, n);
	/* now v2 holds cpuset and io, which v1 lacks: it is used for those */
	n = parse_select(systemd_mountinfo, ROOT, &m, &version, BIT(CPUSET) | BIT(BLKIO));
	assert_int_equal(version, 1);
	assert_int_equal(n, 7);
	assert_true(m[6].v2);
	assert_string_equal(m[6].mountpoint, "/sys/fs/cgroup/unified");
	assert_int_equal(m[6].controllers, BIT(CPUSET) | BIT(BLKIO));
	berth_cg_mounts_free(m, n);
}

static void test_mountinfo_escapes(void **state)
{
	struct berth_cgroup_mount *m = NULL;
	berth_error_t err = NULL;
	size_t n = 0;

	assert_int_equal(berth_cg_parse_mountinfo(systemd_mountinfo, "/sys/fs/cgroup/memory again",
						  &m, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].mountpoint, "/sys/fs/cgroup/memory again");
	berth_cg_mounts_free(m, n);
	/* junk lines are skipped */
	assert_int_equal(
	    berth_cg_parse_mountinfo("garbage\n - cgroup\n1 2 3\n\n", ROOT, &m, &n, &err), 0);
	assert_int_equal(n, 0);
	berth_cg_mounts_free(m, n);
}

static void test_mountinfo_v2(void **state)
{
	struct berth_cgroup_mount *m = NULL;
	int version = 0;
	size_t n;

	n = parse_select(v2_mountinfo, ROOT, &m, &version,
			 BIT(CPUSET) | BIT(CPU) | BIT(BLKIO) | BIT(MEMORY) | BIT(PIDS));
	assert_int_equal(version, 2);
	assert_int_equal(n, 1);
	assert_true(m[0].v2);
	assert_string_equal(m[0].mountpoint, ROOT);
	assert_int_equal(m[0].controllers, BIT(CPUSET) | BIT(CPU) | BIT(BLKIO) | BIT(MEMORY) |
					       BIT(PIDS) | BIT(CPUACCT) | BIT(FREEZER) |
					       BIT(DEVICES));
	berth_cg_mounts_free(m, n);
	/* a hybrid host's v2 mount chosen as the root is pure v2 too */
	n = parse_select(hybrid_mountinfo, UNIFIED, &m, &version, BIT(HUGETLB));
	assert_int_equal(version, 2);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].mountpoint, UNIFIED);
	berth_cg_mounts_free(m, n);
}

static void check_path(const char *in, const char *want)
{
	berth_error_t err = NULL;
	char *out = NULL;

	if (want == NULL) {
		assert_true(berth_cg_normalize_path(in, &out, &err) < 0);
		assert_true(berth_error_code(err) == EINVAL ||
			    berth_error_code(err) == ENAMETOOLONG);
		berth_error_release(&err);
		return;
	}
	assert_int_equal(berth_cg_normalize_path(in, &out, &err), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_normalize_path(void **state)
{
	char long_path[5000];

	check_path("/berth/abc", "berth/abc");
	check_path("berth//abc/", "berth/abc");
	check_path("/docker/0123456789abcdef", "docker/0123456789abcdef");
	check_path("/..", NULL);
	check_path("/berth/../etc", NULL);
	check_path("/berth/./x", NULL);
	check_path("/", NULL);
	check_path("", NULL);
	check_path("//", NULL);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	check_path(long_path, NULL);
	check_path("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/1/2/3/4/5/6/7", NULL);
}

static void test_numbers(void **state)
{
	uint64_t v;

	assert_int_equal(berth_cg_parse_u64("123\n", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(berth_cg_parse_u64("max\n", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(berth_cg_parse_u64("9223372036854771712\n", &v), 0);
	assert_true(v == 9223372036854771712ULL);
	assert_int_equal(berth_cg_parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(berth_cg_parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(berth_cg_parse_u64("12a", &v), -1);
	assert_int_equal(berth_cg_parse_u64("-1", &v), -1);
	assert_int_equal(berth_cg_parse_u64("", &v), -1);
	assert_int_equal(berth_cg_parse_u64("maxi", &v), -1);
}

static const char memory_stat[] = "cache 13049856\nrss 3530752\nrss_huge 0\n"
				  "inactive_file 4096\ntotal_inactive_file 8192\n"
				  "weird line\nbig 99999999999999999999999\n";

static void test_kv(void **state)
{
	json_t *o = berth_cg_kv_to_json(memory_stat);
	uint64_t v;

	assert_int_equal(berth_cg_kv_get(memory_stat, "rss", &v), 0);
	assert_int_equal(v, 3530752);
	assert_int_equal(berth_cg_kv_get(memory_stat, "inactive_file", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(berth_cg_kv_get(memory_stat, "missing", &v), -1);
	assert_int_equal(berth_cg_kv_get(memory_stat, "big", &v), -1);
	assert_int_equal(json_integer_value(json_object_get(o, "cache")), 13049856);
	assert_int_equal(json_integer_value(json_object_get(o, "total_inactive_file")), 8192);
	assert_null(json_object_get(o, "weird"));
	assert_null(json_object_get(o, "big"));
	assert_int_equal(json_object_size(o), 5);
	json_decref(o);
	assert_int_equal(
	    berth_cg_kv_get("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(berth_cg_kv_get("populated 1\nfrozen 1\n", "frozen", &v), 0);
	assert_int_equal(v, 1);
}

static void test_blkio_and_io_stat(void **state)
{
	json_t *a = berth_cg_parse_blkio_v1("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n"
					    "8:16 Read 1\nTotal 12289\n");
	json_t *bytes, *ios, *e;

	assert_int_equal(json_array_size(a), 4);
	e = json_array_get(a, 1);
	assert_int_equal(json_integer_value(json_object_get(e, "major")), 8);
	assert_int_equal(json_integer_value(json_object_get(e, "minor")), 0);
	assert_string_equal(json_string_value(json_object_get(e, "op")), "Write");
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 8192);
	json_decref(a);
	berth_cg_parse_io_stat("8:0 rbytes=1024 wbytes=2048 rios=3 wios=4 dbytes=0 dios=0\n"
			       "253:1 rbytes=7 wbytes=0 rios=1 wios=0\n",
			       &bytes, &ios);
	assert_int_equal(json_array_size(bytes), 4);
	assert_int_equal(json_array_size(ios), 4);
	e = json_array_get(bytes, 1);
	assert_string_equal(json_string_value(json_object_get(e, "op")), "write");
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 2048);
	e = json_array_get(ios, 2);
	assert_int_equal(json_integer_value(json_object_get(e, "major")), 253);
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 1);
	json_decref(bytes);
	json_decref(ios);
}

static void test_proc_files(void **state)
{
	uint64_t v;
	pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	berth_error_t err = NULL;

	assert_int_equal(
	    berth_cg_parse_proc_stat("cpu  100 1 50 1000 9 1 1 7 0 0\ncpu0 1 2 3\n", 100, &v), 0);
	assert_true(v == 1162ULL * 10000000ULL);
	assert_int_equal(berth_cg_parse_proc_stat("cpu0 1 2 3 4 5 6 7\n", 100, &v), -1);
	assert_int_equal(berth_cg_parse_proc_stat("cpu  1 2\n", 100, &v), -1);
	assert_int_equal(berth_cg_parse_meminfo("MemTotal:       24576000 kB\nMemFree: 1 kB\n", &v),
			 0);
	assert_true(v == 24576000ULL * 1024);
	assert_int_equal(berth_cg_parse_meminfo("MemFree: 1 kB\n", &v), -1);
	assert_int_equal(berth_cg_parse_pids("12\n345\n", &pids, &n, &cap, &err), 0);
	assert_int_equal(berth_cg_parse_pids("7\n", &pids, &n, &cap, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 12);
	assert_int_equal(pids[2], 7);
	assert_true(berth_cg_parse_pids("99999999999\n", &pids, &n, &cap, &err) < 0);
	berth_error_release(&err);
	assert_true(berth_cg_parse_pids("1x\n", &pids, &n, &cap, &err) < 0);
	berth_error_release(&err);
	free(pids);
}

static void test_v2_conversions(void **state)
{
	struct berth_cgroup_res r = { 0 };
	berth_error_t err = NULL;
	int64_t sw = 0;
	char buf[64];

	assert_int_equal(berth_cg_shares_to_weight(0), 0);
	assert_int_equal(berth_cg_shares_to_weight(2), 1);
	assert_int_equal(berth_cg_shares_to_weight(1024), 39);
	assert_int_equal(berth_cg_shares_to_weight(262144), 10000);
	assert_int_equal(berth_cg_shares_to_weight(1000000), 10000);
	assert_int_equal(berth_cg_v2_swap(true, 100, 300, &sw, &err), 0);
	assert_int_equal(sw, 200);
	assert_int_equal(berth_cg_v2_swap(true, 100, 100, &sw, &err), 0);
	assert_int_equal(sw, 0);
	assert_int_equal(berth_cg_v2_swap(true, 100, -1, &sw, &err), 0);
	assert_int_equal(sw, -1);
	assert_int_equal(berth_cg_v2_swap(true, -1, 0, &sw, &err), 0);
	assert_int_equal(sw, -1);
	assert_int_equal(berth_cg_v2_swap(false, 0, 0, &sw, &err), 0);
	assert_int_equal(sw, 0);
	assert_true(berth_cg_v2_swap(true, 100, 50, &sw, &err) < 0);
	berth_error_release(&err);
	assert_true(berth_cg_v2_swap(false, 0, 50, &sw, &err) < 0);
	berth_error_release(&err);
	assert_false(berth_cg_v2_cpu_max(&r, buf, sizeof(buf)));
	r.has_quota = true;
	r.quota = 50000;
	assert_true(berth_cg_v2_cpu_max(&r, buf, sizeof(buf)));
	assert_string_equal(buf, "50000");
	r.has_period = true;
	r.period = 100000;
	assert_true(berth_cg_v2_cpu_max(&r, buf, sizeof(buf)));
	assert_string_equal(buf, "50000 100000");
	r.quota = -1;
	assert_true(berth_cg_v2_cpu_max(&r, buf, sizeof(buf)));
	assert_string_equal(buf, "max 100000");
}

static void expect_bad_resources(const char *text)
{
	struct berth_cgroup_res r;
	berth_error_t err = NULL;
	json_t *o = json_loads(text, 0, NULL);

	assert_non_null(o);
	assert_true(berth_cg_parse_resources(o, &r, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	berth_error_release(&err);
	json_decref(o);
}

static void test_parse_resources(void **state)
{
	struct berth_cgroup_res r;
	berth_error_t err = NULL;
	json_t *o = json_loads("{\"memory\":{\"limit\":16777216,\"swap\":33554432,"
			       "\"reservation\":8388608,\"swappiness\":60,\"disableOOMKiller\":"
			       "true},\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,"
			       "\"cpus\":\"0-1\",\"mems\":\"\"},\"pids\":{\"limit\":20},"
			       "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
			       "\"blockIO\":{\"weight\":10}}",
			       0, NULL);

	assert_int_equal(berth_cg_parse_resources(o, &r, &err), 0);
	assert_true(r.has_limit && r.limit == 16777216);
	assert_true(r.has_swap && r.swap == 33554432);
	assert_true(r.has_reservation && r.reservation == 8388608);
	assert_true(r.has_swappiness && r.swappiness == 60);
	assert_true(r.oom_kill_disable);
	assert_true(r.has_shares && r.shares == 512);
	assert_true(r.has_quota && r.quota == 50000 && r.has_period && r.period == 100000);
	assert_string_equal(r.cpus, "0-1");
	assert_null(r.mems);
	assert_true(r.has_pids && r.pids == 20);
	assert_non_null(r.devices);
	json_decref(o);
	assert_int_equal(berth_cg_parse_resources(NULL, &r, &err), 0);
	assert_false(r.has_limit);
	expect_bad_resources("[]");
	expect_bad_resources("{\"memory\":[]}");
	expect_bad_resources("{\"memory\":{\"limit\":\"16m\"}}");
	expect_bad_resources("{\"memory\":{\"swappiness\":101}}");
	expect_bad_resources("{\"memory\":{\"disableOOMKiller\":1}}");
	expect_bad_resources("{\"cpu\":{\"shares\":-1}}");
	expect_bad_resources("{\"cpu\":{\"cpus\":1}}");
	expect_bad_resources("{\"cpu\":{\"cpus\":\"0\\n1\"}}");
	expect_bad_resources("{\"pids\":{\"limit\":1.5}}");
	expect_bad_resources("{\"devices\":{}}");
}

static void test_devices(void **state)
{
	struct berth_cg_device_rule *rules = NULL;
	berth_error_t err = NULL;
	size_t n = 0;
	char buf[64];
	json_t *o = json_loads("[{\"allow\":false,\"access\":\"rwm\"},"
			       "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
			       "\"access\":\"rw\"},{\"allow\":true,\"type\":\"b\",\"major\":8,"
			       "\"access\":\"m\"}]",
			       0, NULL);

	assert_int_equal(berth_cg_parse_devices(o, &rules, &n, &err), 0);
	assert_int_equal(n, 3);
	berth_cg_device_rule_string(&rules[0], buf, sizeof(buf));
	assert_string_equal(buf, "a *:* rwm");
	berth_cg_device_rule_string(&rules[1], buf, sizeof(buf));
	assert_string_equal(buf, "c 1:3 rw");
	berth_cg_device_rule_string(&rules[2], buf, sizeof(buf));
	assert_string_equal(buf, "b 8:* m");
	free(rules);
	json_decref(o);
	o = json_loads("[{\"allow\":true,\"type\":\"x\"}]", 0, NULL);
	assert_true(berth_cg_parse_devices(o, &rules, &n, &err) < 0);
	berth_error_release(&err);
	json_decref(o);
	o = json_loads("[{\"allow\":true,\"access\":\"rwx\"}]", 0, NULL);
	assert_true(berth_cg_parse_devices(o, &rules, &n, &err) < 0);
	berth_error_release(&err);
	json_decref(o);
}

/* ------------------------------------------------------------ real cgroups */

/* A forked child: it runs FN (if any) once the parent writes a byte to
 * its go pipe, reports through its result pipe, then waits to be killed. */
struct kid {
	pid_t pid;
	int go;	    /* write end */
	int result; /* read end */
};

typedef void (*kid_fn)(int result_fd);

static struct kid spawn(kid_fn fn)
{
	struct kid k = { -1, -1, -1 };
	int go[2], res[2];
	char c;

	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(res, O_CLOEXEC), 0);
	k.pid = fork();
	assert_true(k.pid >= 0);
	if (k.pid == 0) {
		/* a failed test must not leave it behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(go[1]);
		close(res[0]);
		if (read(go[0], &c, 1) == 1 && fn)
			fn(res[1]);
		for (;;)
			pause();
	}
	close(go[0]);
	close(res[1]);
	k.go = go[1];
	k.result = res[0];
	return k;
}

static void kid_go(struct kid *k)
{
	assert_int_equal(write(k->go, "x", 1), 1);
}

/* Reaps K (killed by destroy) and returns its wait status. */
static int kid_reap(struct kid *k)
{
	int status = 0;

	assert_int_equal(waitpid(k->pid, &status, 0), k->pid);
	close(k->go);
	close(k->result);
	return status;
}

static int need_root(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root for real cgroups\n");
		return -1;
	}
	return 0;
}

static bool is_cgroup2(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == 0x63677270;
}

static bool is_v1_root(void)
{
	struct statfs st;

	return statfs(ROOT "/memory", &st) == 0 && st.f_type == 0x27e0eb;
}

static char *read_back(const char *hier, const char *sub, const char *file)
{
	cleanup_free char *path = xasprintf(ROOT "/%s/%s/%s/%s", hier, top, sub, file);
	berth_error_t err = NULL;
	char *text = NULL;

	if (berth_fs_read_file(path, 1 << 20, &text, &err) < 0) {
		fail_msg("%s", err->msg);
		berth_error_release(&err);
	}
	text[strcspn(text, "\n")] = '\0';
	return text;
}

static void assert_file(const char *hier, const char *sub, const char *file, const char *want)
{
	cleanup_free char *got = read_back(hier, sub, file);

	if (strcmp(got, want) != 0)
		fail_msg("%s/%s: `%s`, want `%s`", hier, file, got, want);
}

static bool dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static struct berth_cgroup *make(const char *root, const char *sub, const char *resources,
				 pid_t pid)
{
	cleanup_free char *path = xasprintf("/%s/%s", top, sub);
	berth_error_t err = NULL;
	json_t *res = resources ? json_loads(resources, 0, NULL) : NULL;
	struct berth_cgroup *cg = berth_cgroup_create(root, path, res, pid, &err);

	if (cg == NULL)
		fail_msg("create `%s`: %s", path, err->msg);
	json_decref(res);
	return cg;
}

static const char v1_resources[] =
    "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432},"
    "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\",\"mems\":\"0\"},"
    "\"pids\":{\"limit\":50}}";

static void check_v1_limits(pid_t pid)
{
	char want[32];

	assert_file("memory", "life", "memory.limit_in_bytes", "67108864");
	assert_file("memory", "life", "memory.memsw.limit_in_bytes", "134217728");
	assert_file("memory", "life", "memory.soft_limit_in_bytes", "33554432");
	assert_file("cpu", "life", "cpu.shares", "512");
	assert_file("cpu", "life", "cpu.cfs_quota_us", "50000");
	assert_file("cpu", "life", "cpu.cfs_period_us", "100000");
	assert_file("cpuset", "life", "cpuset.cpus", "0");
	assert_file("cpuset", "life", "cpuset.mems", "0");
	assert_file("pids", "life", "pids.max", "50");
	/* the intermediate cpuset directory got its parent's cpus and mems */
	assert_file("cpuset", ".", "cpuset.mems", "0");
	snprintf(want, sizeof(want), "%d", (int)pid);
	assert_file("memory", "life", "cgroup.procs", want);
	assert_file("freezer", "life", "cgroup.procs", want);
	assert_file("blkio", "life", "cgroup.procs", want);
	assert_file("devices", "life", "cgroup.procs", want);
	assert_file("cpuacct", "life", "cgroup.procs", want);
}

static void check_stats_v1(struct berth_cgroup *cg)
{
	berth_error_t err = NULL;
	json_t *s = berth_cgroup_stats(cg, &err);
	json_t *cpu, *mem, *pids, *blkio;

	assert_non_null(s);
	cpu = json_object_get(s, "cpu_stats");
	mem = json_object_get(s, "memory_stats");
	pids = json_object_get(s, "pids_stats");
	blkio = json_object_get(s, "blkio_stats");
	assert_true(json_integer_value(
			json_object_get(json_object_get(cpu, "cpu_usage"), "total_usage")) > 0);
	assert_true(
	    json_is_array(json_object_get(json_object_get(cpu, "cpu_usage"), "percpu_usage")));
	assert_non_null(json_object_get(json_object_get(cpu, "cpu_usage"), "usage_in_usermode"));
	assert_true(json_integer_value(json_object_get(cpu, "system_cpu_usage")) > 0);
	assert_true(json_integer_value(json_object_get(cpu, "online_cpus")) >= 1);
	assert_non_null(json_object_get(json_object_get(cpu, "throttling_data"), "periods"));
	/* pages the child had stay charged to its old cgroup (v1 does not
	 * move charges), so usage may be 0 */
	assert_true(json_is_integer(json_object_get(mem, "usage")));
	assert_non_null(json_object_get(mem, "max_usage"));
	assert_int_equal(json_integer_value(json_object_get(mem, "limit")), 67108864);
	assert_non_null(json_object_get(json_object_get(mem, "stats"), "cache"));
	assert_non_null(json_object_get(json_object_get(mem, "stats"), "total_inactive_file"));
	assert_int_equal(json_integer_value(json_object_get(pids, "current")), 1);
	assert_int_equal(json_integer_value(json_object_get(pids, "limit")), 50);
	assert_true(json_is_array(json_object_get(blkio, "io_service_bytes_recursive")));
	assert_true(json_object_get(blkio, "io_queue_recursive") != NULL);
	json_decref(s);
}

static void update_v1(struct berth_cgroup *cg)
{
	berth_error_t err = NULL;
	json_t *up = json_pack("{s:{s:i,s:i}}", "memory", "limit", 201326592, "swap", 268435456);

	/* raising both: memsw must go first */
	if (berth_cgroup_update(cg, up, &err) < 0)
		fail_msg("update: %s", err->msg);
	assert_file("memory", "life", "memory.limit_in_bytes", "201326592");
	assert_file("memory", "life", "memory.memsw.limit_in_bytes", "268435456");
	json_decref(up);
	/* lowering both: the limit must go first */
	up = json_pack("{s:{s:i,s:i},s:{s:i}}", "memory", "limit", 50331648, "swap", 50331648,
		       "pids", "limit", -1);
	if (berth_cgroup_update(cg, up, &err) < 0)
		fail_msg("update: %s", err->msg);
	assert_file("memory", "life", "memory.limit_in_bytes", "50331648");
	assert_file("memory", "life", "memory.memsw.limit_in_bytes", "50331648");
	assert_file("pids", "life", "pids.max", "max");
	json_decref(up);
	/* a value the kernel refuses names its file */
	up = json_pack("{s:{s:s}}", "cpu", "cpus", "4096");
	assert_true(berth_cgroup_update(cg, up, &err) < 0);
	assert_non_null(strstr(err->msg, "cpuset.cpus"));
	berth_error_release(&err);
	json_decref(up);
}

static void test_v1_lifecycle(void **state)
{
	struct kid k;
	struct berth_cgroup *cg, *again;
	berth_error_t err = NULL;
	pid_t *pids = NULL;
	size_t n = 0;
	int status;
	char leaf[256], parent[256], path[256];

	/* stack buffers: skip() longjmps past cleanup attributes */
	snprintf(leaf, sizeof(leaf), ROOT "/memory/%s/life", top);
	snprintf(parent, sizeof(parent), ROOT "/memory/%s", top);
	snprintf(path, sizeof(path), "/%s/life", top);
	if (need_root() < 0 || !is_v1_root()) {
		if (geteuid() == 0)
			print_message("skipped: no v1 memory hierarchy at " ROOT "\n");
		skip();
		return;
	}
	assert_int_equal(berth_cgroup_host_version(ROOT), 1);
	k = spawn(NULL);
	cg = make(ROOT, "life", v1_resources, k.pid);
	check_v1_limits(k.pid);
	assert_int_equal(berth_cgroup_pids(cg, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], k.pid);
	free(pids);
	assert_int_equal(berth_cgroup_freeze(cg, true, &err), 0);
	assert_file("freezer", "life", "freezer.state", "FROZEN");
	assert_int_equal(berth_cgroup_freeze(cg, false, &err), 0);
	assert_file("freezer", "life", "freezer.state", "THAWED");
	check_stats_v1(cg);
	update_v1(cg);
	assert_false(berth_cgroup_oom_killed(cg));
	/* after a restart: the same cgroup, opened */
	again = berth_cgroup_open(ROOT, path, &err);
	assert_non_null(again);
	assert_int_equal(berth_cgroup_pids(again, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	free(pids);
	/* destroy kills a frozen cgroup too */
	assert_int_equal(berth_cgroup_freeze(again, true, &err), 0);
	if (berth_cgroup_destroy(again, &err) < 0)
		fail_msg("destroy: %s", err->msg);
	status = kid_reap(&k);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_false(dir_exists(leaf));
	assert_true(dir_exists(parent)); /* intermediate parents are kept */
	berth_cgroup_free(again);
	berth_cgroup_free(cg);
}

static void hog(int result_fd)
{
	size_t len = 512UL << 20, i;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(2);
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	_exit(0);
}

static void test_v1_oom(void **state)
{
	struct kid k;
	struct berth_cgroup *cg;
	berth_error_t err = NULL;
	int status;

	if (need_root() < 0 || !is_v1_root()) {
		skip();
		return;
	}
	k = spawn(hog);
	cg = make(ROOT, "oom", "{\"memory\":{\"limit\":33554432,\"swap\":33554432}}", k.pid);
	assert_false(berth_cgroup_oom_killed(cg));
	kid_go(&k);
	status = kid_reap(&k);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(berth_cgroup_oom_killed(cg));
	assert_int_equal(berth_cgroup_destroy(cg, &err), 0);
	berth_cgroup_free(cg);
}

/* Forks until the pids limit stops it; reports how many it made. */
static void fork_bomb(int result_fd)
{
	int made = 0, i, fails = 0;

	for (i = 0; i < 30; i++) {
		pid_t p = fork();

		if (p == 0) {
			for (;;)
				pause();
		}
		if (p > 0)
			made++;
		else
			fails++;
	}
	if (write(result_fd, &made, sizeof(made)) < 0 ||
	    write(result_fd, &fails, sizeof(fails)) < 0)
		_exit(3);
}

static void test_v1_pids_limit(void **state)
{
	struct kid k;
	struct berth_cgroup *cg;
	berth_error_t err = NULL;
	pid_t *pids = NULL;
	size_t n = 0;
	int made = -1, fails = -1;

	if (need_root() < 0 || !is_v1_root()) {
		skip();
		return;
	}
	k = spawn(fork_bomb);
	cg = make(ROOT, "bomb", "{\"pids\":{\"limit\":10}}", k.pid);
	kid_go(&k);
	assert_int_equal(read(k.result, &made, sizeof(made)), sizeof(made));
	assert_int_equal(read(k.result, &fails, sizeof(fails)), sizeof(fails));
	assert_int_equal(made, 9);
	assert_int_equal(fails, 21);
	assert_int_equal(berth_cgroup_pids(cg, &pids, &n, &err), 0);
	assert_int_equal(n, 10);
	free(pids);
	if (berth_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err->msg);
	kid_reap(&k);
	berth_cgroup_free(cg);
}

static void open_devices(int result_fd)
{
	int r[2];
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	r[0] = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	r[1] = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	if (write(result_fd, r, sizeof(r)) < 0)
		_exit(3);
}

static const char devices_res[] = "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
				  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
				  "\"access\":\"rwm\"}]}";

/* deny all, then allow /dev/null (1:3): /dev/zero (1:5) is refused */
static void run_devices(const char *root, const char *sub)
{
	struct kid k = spawn(open_devices);
	struct berth_cgroup *cg = make(root, sub, devices_res, k.pid);
	berth_error_t err = NULL;
	int r[2] = { -1, -1 };

	kid_go(&k);
	assert_int_equal(read(k.result, r, sizeof(r)), sizeof(r));
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], EPERM);
	if (berth_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err->msg);
	kid_reap(&k);
	berth_cgroup_free(cg);
}

static void test_v1_devices(void **state)
{
	if (need_root() < 0 || !is_v1_root()) {
		skip();
		return;
	}
	run_devices(ROOT, "dev");
}

static void test_bad_create(void **state)
{
	berth_error_t err = NULL;
	json_t *bad = json_pack("{s:{s:s}}", "memory", "limit", "x");

	assert_null(berth_cgroup_create(ROOT, "/", NULL, 0, &err));
	assert_int_equal(berth_error_code(err), EINVAL);
	berth_error_release(&err);
	assert_null(berth_cgroup_create(ROOT, "/berth/../../etc", NULL, 0, &err));
	assert_int_equal(berth_error_code(err), EINVAL);
	berth_error_release(&err);
	assert_null(berth_cgroup_create(ROOT, "/berth-test-never", bad, 0, &err));
	assert_int_equal(berth_error_code(err), EINVAL);
	berth_error_release(&err);
	json_decref(bad);
	assert_null(berth_cgroup_open(ROOT, "/berth-test-no-such-cgroup/x", &err));
	assert_int_equal(berth_error_code(err), ENOENT);
	berth_error_release(&err);
	assert_null(berth_cgroup_create("/proc", "/berth-test-x", NULL, 0, &err));
	assert_int_equal(berth_error_code(err), ENOENT);
	berth_error_release(&err);
}

/* v2's core files exist in every cgroup2 directory, controllers or not:
 * the hybrid host's unified mount runs the v2 code for procs, freeze,
 * kill, cpu.stat and the eBPF device filter. */
static void test_v2_core(void **state)
{
	struct kid k;
	struct berth_cgroup *cg;
	berth_error_t err = NULL;
	pid_t *pids = NULL;
	size_t n = 0;
	json_t *s, *up;
	int status;
	char leaf[256], ev[256];
	cleanup_free char *events = NULL;

	snprintf(leaf, sizeof(leaf), UNIFIED "/%s/v2", top);
	snprintf(ev, sizeof(ev), UNIFIED "/%s/v2/cgroup.events", top);
	if (need_root() < 0) {
		skip();
		return;
	}
	if (!is_cgroup2(UNIFIED)) {
		print_message("skipped: no cgroup2 mount at " UNIFIED "\n");
		skip();
		return;
	}
	assert_int_equal(berth_cgroup_host_version(UNIFIED), 2);
	k = spawn(NULL);
	cg = make(UNIFIED, "v2", NULL, k.pid);
	assert_int_equal(berth_cgroup_pids(cg, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], k.pid);
	free(pids);
	assert_int_equal(berth_cgroup_freeze(cg, true, &err), 0);
	assert_true(berth_fs_read_file(ev, 4096, &events, &err) > 0);
	assert_non_null(strstr(events, "frozen 1"));
	assert_int_equal(berth_cgroup_freeze(cg, false, &err), 0);
	s = berth_cgroup_stats(cg, &err);
	assert_non_null(s);
	assert_non_null(json_object_get(
	    json_object_get(json_object_get(s, "cpu_stats"), "cpu_usage"), "total_usage"));
	json_decref(s);
	/* no memory controller on this v2 mount: docker's warning */
	up = json_pack("{s:{s:i}}", "memory", "limit", 67108864);
	assert_true(berth_cgroup_update(cg, up, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	assert_non_null(strstr(err->msg, "memory limit capabilities"));
	berth_error_release(&err);
	json_decref(up);
	assert_false(berth_cgroup_oom_killed(cg));
	if (berth_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err->msg);
	status = kid_reap(&k);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_false(dir_exists(leaf));
	berth_cgroup_free(cg);
}

static void test_v2_devices(void **state)
{
	if (need_root() < 0 || !is_cgroup2(UNIFIED)) {
		skip();
		return;
	}
	run_devices(UNIFIED, "v2dev");
}

static void test_host_info(void **state)
{
	json_t *o;

	if (!is_v1_root()) {
		print_message("skipped: no v1 hierarchies at " ROOT "\n");
		skip();
		return;
	}
	o = berth_cgroup_host_info(ROOT);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
	assert_true(json_is_true(json_object_get(o, "memory")));
	assert_true(json_is_true(json_object_get(o, "oom_kill_disable")));
	assert_true(json_is_true(json_object_get(o, "cpu_cfs")));
	assert_true(json_is_true(json_object_get(o, "pids")));
	assert_true(json_is_true(json_object_get(o, "freezer")));
	assert_true(json_is_boolean(json_object_get(o, "swap")));
	json_decref(o);
	if (!is_cgroup2(UNIFIED))
		return;
	o = berth_cgroup_host_info(UNIFIED);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 2);
	assert_true(json_is_true(json_object_get(o, "freezer")));
	assert_false(json_is_true(json_object_get(o, "swappiness")));
	json_decref(o);
}

/* Whatever a failed test left: every cgroup below the test's top
 * directory, in every hierarchy, then the top directories. */
static int teardown(void **state)
{
	static const char *const subs[] = { "life", "oom", "bomb", "dev", "v2", "v2dev" };
	static const char *const roots[] = { ROOT, UNIFIED };
	const char *hiers[] = { "memory", "cpu",     "cpuacct", "cpuset", "pids",
				"blkio",  "freezer", "devices", "unified" };
	size_t i, j;

	for (i = 0; i < BERTH_ARRAY_SIZE(roots); i++) {
		for (j = 0; j < BERTH_ARRAY_SIZE(subs); j++) {
			cleanup_free char *path = xasprintf("/%s/%s", top, subs[j]);
			berth_error_t err = NULL;
			struct berth_cgroup *cg = berth_cgroup_open(roots[i], path, &err);

			if (cg && berth_cgroup_destroy(cg, &err) < 0)
				print_message("teardown: %s\n", err->msg);
			berth_error_release(&err);
			berth_cgroup_free(cg);
		}
	}
	for (i = 0; i < BERTH_ARRAY_SIZE(hiers); i++) {
		cleanup_free char *dir = xasprintf(ROOT "/%s/%s", hiers[i], top);

		if (rmdir(dir) < 0 && errno != ENOENT)
			print_message("teardown: rmdir %s: %s\n", dir, strerror(errno));
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_controllers),
		cmocka_unit_test(test_mountinfo_hybrid),
		cmocka_unit_test(test_mountinfo_combined_and_dups),
		cmocka_unit_test(test_mountinfo_escapes),
		cmocka_unit_test(test_mountinfo_v2),
		cmocka_unit_test(test_normalize_path),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_blkio_and_io_stat),
		cmocka_unit_test(test_proc_files),
		cmocka_unit_test(test_v2_conversions),
		cmocka_unit_test(test_parse_resources),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_bad_create),
		cmocka_unit_test(test_host_info),
		cmocka_unit_test(test_v1_lifecycle),
		cmocka_unit_test(test_v1_oom),
		cmocka_unit_test(test_v1_pids_limit),
		cmocka_unit_test(test_v1_devices),
		cmocka_unit_test(test_v2_core),
		cmocka_unit_test(test_v2_devices),
	};

	snprintf(top, sizeof(top), "berth-test-%d", (int)getpid());
	return cmocka_run_group_tests(tests, NULL, teardown);
}
