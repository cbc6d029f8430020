/* test_runtime.c: the OCI spec parser (the spec's own example-config.json
 * and broken variants), mount options, sysctl rules, PATH lookup, fd
 * closing, the sync protocol, paths resolved inside a root (openat2 and
 * the fallback walk), hooks and berth-oci's state files. Nothing here
 * needs privileges; the container itself is exercised by
 * tests/e2e/runtime_oci.bats. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "runtime/runtime.h"
#include "runtime/runtime_internal.h"
#include "runtime/spec.h"
#include "runtime/state.h"

/* opencontainers/runtime-spec schema/example-config.json (shared/ref),
 * compacted */
static const char example_config[] =
    "{\"ociVersion\":\"0.5.0-dev\",\"process\":{\"terminal\":true,\"user\":{\"uid\":1,\"gid\":1,\"additi"
    "onalGids\":[5,6]},\"args\":[\"sh\"],\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin"
    ":/usr/bin:/sbin:/bin\",\"TERM=xterm\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_AUDIT"
    "_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\""
    ",\"CAP_NET_BIND_SERVICE\"],\"inheritable\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_S"
    "ERVICE\"],\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\"],\"ambient\":[\"CAP_NET_BIND_SERVICE"
    "\"]},\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":1024,\"soft\":1024},{\"type\":\"RLIMIT_NOFILE"
    "\",\"hard\":1024,\"soft\":1024}],\"apparmorProfile\":\"acme_secure_profile\",\"selinuxLabel\":\""
    "system_u:system_r:svirt_lxc_net_t:s0:c124,c675\",\"noNewPrivileges\":true},\"root\":{\"pat"
    "h\":\"rootfs\",\"readonly\":true},\"hostname\":\"slartibartfast\",\"domainname\":\"foobarbaz.tes"
    "t\",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},{\"destination\":\"/"
    "dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"s"
    "ize=65536k\"]},{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":"
    "[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},{\"destination"
    "\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mod"
    "e=1777\",\"size=65536k\"]},{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueu"
    "e\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},{\"destination\":\"/sys\",\"type\":\"sysfs\",\"sour"
    "ce\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},{\"destination\":\"/sys/fs/cgroup\",\""
    "type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro"
    "\"]}],\"hooks\":{\"prestart\":[{\"path\":\"/usr/bin/fix-mounts\",\"args\":[\"fix-mounts\",\"arg1\","
    "\"arg2\"],\"env\":[\"key1=value1\"]},{\"path\":\"/usr/bin/setup-network\"}],\"createRuntime\":[{"
    "\"path\":\"/usr/bin/fix-mounts\",\"args\":[\"fix-mounts\",\"arg1\",\"arg2\"],\"env\":[\"key1=value1"
    "\"]},{\"path\":\"/usr/bin/setup-network\"}],\"createContainer\":[{\"path\":\"/usr/bin/mount-ho"
    "ok\",\"args\":[\"-mount\",\"arg1\",\"arg2\"],\"env\":[\"key1=value1\"]}],\"startContainer\":[{\"path"
    "\":\"/usr/bin/refresh-ldcache\"}],\"poststart\":[{\"path\":\"/usr/bin/notify-start\",\"timeout"
    "\":5}],\"poststop\":[{\"path\":\"/usr/sbin/cleanup.sh\",\"args\":[\"cleanup.sh\",\"-f\"]}]},\"linu"
    "x\":{\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438,"
    "\"uid\":0,\"gid\":0},{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8,\"minor\":0,\"fileMode\":432,\"u"
    "id\":0,\"gid\":0}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":32000}],\"gidMap"
    "pings\":[{\"containerID\":0,\"hostID\":1000,\"size\":32000}],\"sysctl\":{\"net.ipv4.ip_forward"
    "\":\"1\",\"net.core.somaxconn\":\"256\"},\"cgroupsPath\":\"/myRuntime/myContainer\",\"resources\""
    ":{\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":500},{\"name\":"
    "\"eth1\",\"priority\":1000}]},\"pids\":{\"limit\":32771},\"hugepageLimits\":[{\"pageSize\":\"2MB\""
    ",\"limit\":9223372036854772000},{\"pageSize\":\"64KB\",\"limit\":1000000}],\"oomScoreAdj\":100"
    ",\"memory\":{\"limit\":536870912,\"reservation\":536870912,\"swap\":536870912,\"kernel\":-1,\"k"
    "ernelTCP\":-1,\"swappiness\":0,\"disableOOMKiller\":false,\"useHierarchy\":false,\"checkBefo"
    "reUpdate\":false},\"cpu\":{\"shares\":1024,\"quota\":1000000,\"burst\":1000000,\"period\":50000"
    "0,\"realtimeRuntime\":950000,\"realtimePeriod\":1000000,\"cpus\":\"2-3\",\"mems\":\"0-7\"},\"devi"
    "ces\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229"
    ",\"access\":\"rw\"},{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"r\"}],\"blockIO"
    "\":{\"weight\":10,\"leafWeight\":10,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":500,\"le"
    "afWeight\":300},{\"major\":8,\"minor\":16,\"weight\":500}],\"throttleReadBpsDevice\":[{\"major"
    "\":8,\"minor\":0,\"rate\":600}],\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":3"
    "00}]}},\"rootfsPropagation\":\"slave\",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"arch"
    "itectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":[{\"names\":[\"getcwd\",\"chmod\"]"
    ",\"action\":\"SCMP_ACT_ERRNO\"}]},\"timeOffsets\":{\"monotonic\":{\"secs\":172800,\"nanosecs\":0"
    "},\"boottime\":{\"secs\":604800,\"nanosecs\":0}},\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"net"
    "work\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"cgrou"
    "p\"},{\"type\":\"time\"}],\"maskedPaths\":[\"/proc/kcore\",\"/proc/latency_stats\",\"/proc/timer"
    "_stats\",\"/proc/sched_debug\"],\"readonlyPaths\":[\"/proc/asound\",\"/proc/bus\",\"/proc/fs\","
    "\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"],\"mountLabel\":\"system_u:object_r:svirt"
    "_sandbox_file_t:s0:c715,c811\"},\"annotations\":{\"com.example.key1\":\"value1\",\"com.examp"
    "le.key2\":\"value2\"}}";

/* the smallest valid config, with %s spliced into its top level */
#define MINIMAL                                                                                    \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"]," \
	"\"cwd\":\"/\"%s}%s}"

static struct berth_spec *parse_str(const char *s, berth_error_t *err)
{
	return berth_spec_parse(s, strlen(s), "/bundle", err);
}

/* MINIMAL with PROC_EXTRA inside `process` and TOP_EXTRA at the top */
static struct berth_spec *parse_minimal(const char *proc_extra, const char *top_extra,
					berth_error_t *err)
{
	cleanup_free char *s = xasprintf(MINIMAL, proc_extra, top_extra);
	return parse_str(s, err);
}

static void expect_bad(const char *proc_extra, const char *top_extra, const char *needle)
{
	berth_error_t err = NULL;
	struct berth_spec *s = parse_minimal(proc_extra, top_extra, &err);

	if (s != NULL || err == NULL || strstr(err->msg, needle) == NULL) {
		print_error("config %s / %s: wanted an error with `%s`, got `%s`\n", proc_extra,
			    top_extra, needle, err ? err->msg : "(none)");
		fail();
	}
	assert_int_equal(err->code, EINVAL);
	berth_error_release(&err);
}

/* ------------------------------------------------------------ spec */

static void test_example_process(void **state)
{
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s = parse_str(example_config, &err);

	(void)state;
	assert_non_null(s);
	assert_string_equal(s->oci_version, "0.5.0-dev");
	assert_true(s->has_process);
	assert_true(s->process.terminal);
	assert_int_equal(s->process.n_args, 1);
	assert_string_equal(s->process.args[0], "sh");
	assert_null(s->process.args[1]);
	assert_int_equal(s->process.n_env, 2);
	assert_string_equal(s->process.env[1], "TERM=xterm");
	assert_string_equal(s->process.cwd, "/");
	assert_int_equal(s->process.user.uid, 1);
	assert_int_equal(s->process.user.gid, 1);
	assert_int_equal(s->process.user.n_additional_gids, 2);
	assert_int_equal(s->process.user.additional_gids[1], 6);
	assert_non_null(s->process.capabilities);
	assert_int_equal(s->process.n_rlimits, 2);
	assert_int_equal(s->process.rlimits[0].resource, RLIMIT_CORE);
	assert_int_equal(s->process.rlimits[1].resource, RLIMIT_NOFILE);
	assert_int_equal(s->process.rlimits[1].hard, 1024);
	assert_true(s->process.no_new_privileges);
	assert_false(s->process.has_oom_score_adj);
}

static void test_example_root_and_mounts(void **state)
{
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s = parse_str(example_config, &err);
	const struct berth_spec_mount *m;

	(void)state;
	assert_non_null(s);
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "slartibartfast");
	assert_int_equal(s->n_mounts, 7);
	m = &s->mounts[1];
	assert_string_equal(m->destination, "/dev");
	assert_string_equal(m->type, "tmpfs");
	assert_int_equal(m->flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(m->data, "mode=755,size=65536k");
	assert_false(m->bind);
	m = &s->mounts[2];
	assert_string_equal(m->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC);
	m = &s->mounts[6];
	assert_string_equal(m->type, "cgroup");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
	assert_null(m->data);
}

static void test_example_linux(void **state)
{
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s = parse_str(example_config, &err);

	(void)state;
	assert_non_null(s);
	assert_true(s->ns[BERTH_NS_PID].wanted);
	assert_null(s->ns[BERTH_NS_PID].path);
	assert_true(s->ns[BERTH_NS_USER].wanted);
	assert_true(s->ns[BERTH_NS_TIME].wanted);
	assert_int_equal(s->n_devices, 2);
	assert_string_equal(s->devices[0].path, "/dev/fuse");
	assert_int_equal(s->devices[0].type, 'c');
	assert_int_equal(s->devices[0].major, 10);
	assert_int_equal(s->devices[0].minor, 229);
	assert_int_equal(s->devices[0].mode, 0666);
	assert_int_equal(s->devices[1].type, 'b');
	assert_string_equal(s->cgroups_path, "/myRuntime/myContainer");
	assert_non_null(s->resources);
	assert_non_null(s->seccomp);
	assert_int_equal(s->n_sysctl, 2);
	assert_int_equal(s->rootfs_propagation, MS_SLAVE);
	assert_int_equal(s->n_masked_paths, 4);
	assert_string_equal(s->readonly_paths[4], "/proc/sys");
	assert_int_equal(s->hooks[BERTH_HOOK_PRESTART].n, 2);
	assert_string_equal(s->hooks[BERTH_HOOK_PRESTART].v[1].path, "/usr/bin/setup-network");
	assert_int_equal(s->hooks[BERTH_HOOK_POSTSTART].n, 1);
	assert_int_equal(s->hooks[BERTH_HOOK_CREATE_RUNTIME].n, 2);
	assert_non_null(s->annotations);
}

static void test_minimal_and_bind_source(void **state)
{
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s = parse_minimal(
	    "",
	    ",\"mounts\":[{\"destination\":\"/data\",\"source\":\"vol\",\"options\":[\"rbind\","
	    "\"ro\",\"rprivate\"]},{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/abs\"}]",
	    &err);

	(void)state;
	assert_non_null(s);
	assert_false(s->process.terminal);
	assert_int_equal(s->process.n_env, 0);
	assert_non_null(s->process.env);
	assert_true(s->mounts[0].bind);
	assert_true(s->mounts[0].recursive);
	assert_string_equal(s->mounts[0].source, "/bundle/vol");
	assert_int_equal(s->mounts[0].flags, MS_RDONLY);
	assert_int_equal(s->mounts[0].propagation, MS_PRIVATE | MS_REC);
	assert_true(s->mounts[1].bind);
	assert_false(s->mounts[1].recursive);
	assert_string_equal(s->mounts[1].source, "/abs");
}

static void test_rlimit_infinity(void **state)
{
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s =
	    parse_minimal(",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1048576,\"hard\":"
			  "18446744073709551615}]",
			  "", &err);

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->process.rlimits[0].soft, 1048576);
	assert_true(s->process.rlimits[0].hard == UINT64_MAX);
}

static void test_bad_configs(void **state)
{
	(void)state;
	expect_bad(",\"env\":[\"NOEQUALS\"]", "", "`process.env`");
	expect_bad(",\"env\":[\"=x\"]", "", "`process.env`");
	expect_bad(",\"user\":{\"uid\":-1}", "", "`process.user.uid`");
	expect_bad(",\"user\":{\"additionalGids\":[\"x\"]}", "", "additionalGids");
	expect_bad(",\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]", "",
		   "unknown type");
	expect_bad(",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]", "",
		   "soft limit above");
	expect_bad(",\"oomScoreAdj\":1001", "", "`process.oomScoreAdj`");
	expect_bad(",\"capabilities\":[]", "", "`process.capabilities`");
	expect_bad(",\"consoleSize\":{\"height\":-1}", "", "consoleSize");
	expect_bad("", ",\"mounts\":[{\"destination\":\"relative\"}]", "absolute");
	expect_bad("", ",\"mounts\":[{\"destination\":\"/x\",\"options\":[\"idmap\"]}]", "idmap");
	expect_bad("", ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\"}]",
		   "needs a source");
	expect_bad("", ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}",
		   "given twice");
	expect_bad("", ",\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}", "unknown type");
	expect_bad("", ",\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"rel\"}]}",
		   "absolute");
	expect_bad("", ",\"linux\":{\"rootfsPropagation\":\"sideways\"}", "rootfsPropagation");
	expect_bad("", ",\"linux\":{\"sysctl\":{\"../../etc\":\"1\"}}", "invalid key");
	expect_bad("", ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"z\"}]}",
		   "linux.devices.type");
	expect_bad("", ",\"linux\":{\"cgroupsPath\":\"/a/../../b\"}", "cgroupsPath");
	expect_bad("", ",\"hooks\":{\"prestart\":[{\"path\":\"relative\"}]}", "hooks.path");
	expect_bad("",
		   ",\"hostname\":\""
		   "0123456789012345678901234567890123456789"
		   "0123456789012345678901234567890\"",
		   "`hostname`");
}

static void test_bad_documents(void **state)
{
	berth_error_t err = NULL;
	const char nul[] = "{\"root\":{\"path\":\"a\\u0000b\"}}";
	cleanup_free char *big = xmalloc(BERTH_SPEC_MAX_BYTES + 2);

	(void)state;
	assert_null(parse_str("{not json", &err));
	assert_int_equal(err->code, EINVAL);
	assert_non_null(strstr(err->msg, "line 1"));
	berth_error_release(&err);
	assert_null(parse_str("[]", &err));
	berth_error_release(&err);
	assert_null(
	    parse_str("{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[],\"cwd\":\"/\"}}", &err));
	assert_non_null(strstr(err->msg, "`process.args`"));
	berth_error_release(&err);
	assert_null(parse_str(
	    "{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[1],\"cwd\":\"/\"}}", &err));
	assert_non_null(strstr(err->msg, "`process.args`"));
	berth_error_release(&err);
	assert_null(parse_str("{\"root\":5}", &err));
	assert_non_null(strstr(err->msg, "`root`"));
	berth_error_release(&err);
	assert_null(parse_str("{\"root\":{\"path\":\"a\"},\"root\":{\"path\":\"b\"}}", &err));
	berth_error_release(&err);
	assert_null(parse_str(nul, &err));
	assert_non_null(strstr(err->msg, "NUL"));
	berth_error_release(&err);
	memset(big, ' ', BERTH_SPEC_MAX_BYTES + 1);
	big[BERTH_SPEC_MAX_BYTES + 1] = '\0';
	assert_null(berth_spec_parse(big, BERTH_SPEC_MAX_BYTES + 1, NULL, &err));
	assert_int_equal(err->code, EFBIG);
	berth_error_release(&err);
}

static void test_mount_options(void **state)
{
	const char *const opts[] = { "ro",     "nosuid",   "nodev",   "noexec", "rbind",
				     "rslave", "mode=755", "size=1k", "rw",	"tmpcopyup" };
	struct berth_spec_mount m = { 0 };
	berth_error_t err = NULL;

	(void)state;
	assert_int_equal(berth_spec_mount_options(&m, opts, BERTH_ARRAY_SIZE(opts), &err), 0);
	/* "rw" after "ro": the last word wins */
	assert_int_equal(m.flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
	assert_int_equal(m.clear, MS_RDONLY);
	assert_int_equal(m.propagation, MS_SLAVE | MS_REC);
	assert_true(m.bind && m.recursive);
	assert_string_equal(m.data, "mode=755,size=1k");
	free(m.data);
}

static void test_process_parse(void **state)
{
	const char doc[] = "{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=1\"],"
			   "\"user\":{\"uid\":1000,\"gid\":1000},\"terminal\":true}";
	struct berth_spec_process p;
	berth_error_t err = NULL;
	json_t *d = NULL;

	(void)state;
	assert_int_equal(berth_spec_process_parse(doc, strlen(doc), &p, &d, &err), 0);
	assert_int_equal(p.n_args, 2);
	assert_string_equal(p.cwd, "/tmp");
	assert_int_equal(p.user.uid, 1000);
	assert_true(p.terminal);
	berth_spec_process_release(&p);
	json_decref(d);
	assert_int_equal(berth_spec_process_parse("{\"args\":[\"x\"]}", 14, &p, &d, &err) < 0, 1);
	assert_non_null(strstr(err->msg, "process.cwd"));
	berth_error_release(&err);
}

static void test_sysctl_rules(void **state)
{
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s = parse_minimal(
	    "", ",\"linux\":{\"namespaces\":[{\"type\":\"ipc\"},{\"type\":\"network\"}]}", &err);

	(void)state;
	assert_non_null(s);
	assert_true(berth_spec_sysctl_allowed("net.ipv4.ip_forward", s));
	assert_true(berth_spec_sysctl_allowed("net/core/somaxconn", s));
	assert_true(berth_spec_sysctl_allowed("kernel.shmmax", s));
	assert_true(berth_spec_sysctl_allowed("fs.mqueue.msg_max", s));
	assert_false(berth_spec_sysctl_allowed("kernel.hostname", s)); /* no uts ns */
	assert_false(berth_spec_sysctl_allowed("kernel.panic", s));
	assert_false(berth_spec_sysctl_allowed("vm.overcommit_memory", s));
	s->ns[BERTH_NS_NET].wanted = false;
	assert_false(berth_spec_sysctl_allowed("net.ipv4.ip_forward", s));
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(berth_spec_rlimit_resource("RLIMIT_NPROC"), RLIMIT_NPROC);
	assert_int_equal(berth_spec_rlimit_resource("nproc"), -1);
	assert_string_equal(berth_spec_rlimit_name(RLIMIT_NOFILE), "RLIMIT_NOFILE");
	assert_string_equal(berth_spec_ns_name(BERTH_NS_NET), "network");
	assert_int_equal(berth_spec_ns_flag(BERTH_NS_MOUNT), CLONE_NEWNS);
}

static void test_cgroup_path(void **state)
{
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s = parse_minimal("", "", &err);
	cleanup_free char *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	a = berth_runtime_cgroup_path(s, "abc");
	assert_string_equal(a, "/berth/abc");
	s->cgroups_path = xstrdup("libpod_parent/x");
	b = berth_runtime_cgroup_path(s, "abc");
	assert_string_equal(b, "/libpod_parent/x");
	free(s->cgroups_path);
	s->cgroups_path = xstrdup("/a/b");
	c = berth_runtime_cgroup_path(s, "abc");
	assert_string_equal(c, "/a/b");
}

/* ------------------------------------------------------------ helpers */

static char *make_tmpdir(void)
{
	char *d = xstrdup("/tmp/berth-test-runtime.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_tree(const char *dir)
{
	cleanup_free char *parent = xstrdup(dir);
	char *slash = strrchr(parent, '/');
	cleanup_close int pfd = -1;

	*slash = '\0';
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(pfd >= 0);
	assert_int_equal(berth_fs_remove_at_raw(pfd, slash + 1), 0);
}

static void write_file(const char *path, const char *data, mode_t mode)
{
	berth_error_t err = NULL;
	assert_int_equal(berth_fs_write_atomic(path, data, strlen(data), mode, &err), 0);
}

static void test_lookup_path(void **state)
{
	cleanup_free char *dir = make_tmpdir();
	cleanup_free char *exe = xasprintf("%s/prog", dir);
	cleanup_free char *noexec = xasprintf("%s/data", dir);
	cleanup_free char *pathvar = xasprintf("PATH=/nonexistent:%s", dir);
	char *env[] = { pathvar, NULL };
	char *noenv[] = { NULL };
	berth_error_t err = NULL;
	char *out = NULL;

	(void)state;
	write_file(exe, "#!/bin/sh\n", 0755);
	write_file(noexec, "x", 0644);
	assert_int_equal(berth_rt_lookup_path("prog", env, &out, &err), 0);
	assert_string_equal(out, exe);
	free(out);
	assert_int_equal(berth_rt_lookup_path(exe, noenv, &out, &err), 0);
	free(out);
	assert_true(berth_rt_lookup_path("nope", env, &out, &err) < 0);
	assert_int_equal(err->code, ENOENT);
	assert_string_equal(err->msg, "exec: \"nope\": executable file not found in $PATH");
	berth_error_release(&err);
	/* found but not executable: that is what is reported (126) */
	assert_true(berth_rt_lookup_path("data", env, &out, &err) < 0);
	assert_int_equal(err->code, geteuid() == 0 ? EACCES : EACCES);
	berth_error_release(&err);
	assert_true(berth_rt_lookup_path("/nonexistent/x", env, &out, &err) < 0);
	assert_int_equal(err->code, ENOENT);
	assert_non_null(strstr(err->msg, "no such file"));
	berth_error_release(&err);
	rm_tree(dir);
}

static void test_close_fds(void **state)
{
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int c = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int keep[2] = { b, -1 };
	berth_error_t err = NULL;
	pid_t pid;
	int st;

	(void)state;
	assert_true(a > 2 && b > 2 && c > 2);
	pid = fork();
	if (pid == 0) {
		if (berth_rt_close_fds_from(a, keep, 2, &err) < 0)
			_exit(2);
		_exit(fcntl(a, F_GETFD) < 0 && fcntl(b, F_GETFD) >= 0 && fcntl(c, F_GETFD) < 0 ? 0
											       : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	close(a);
	close(b);
	close(c);
}

static void test_sync_roundtrip(void **state)
{
	int sv[2], got = -1;
	struct berth_rt_sync_hdr h;
	char text[64];
	struct stat st1, st2;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(berth_rt_sync_send(sv[1], SYNC_ERROR, ENOENT, "exec: nope", -1), 0);
	assert_int_equal(berth_rt_sync_send(sv[1], SYNC_PTY, 0, NULL, 0), 0);
	assert_int_equal(berth_rt_sync_recv(sv[0], &h, text, sizeof(text), &got), 1);
	assert_int_equal(h.type, SYNC_ERROR);
	assert_int_equal(h.code, ENOENT);
	assert_string_equal(text, "exec: nope");
	assert_int_equal(got, -1);
	assert_int_equal(berth_rt_sync_recv(sv[0], &h, text, sizeof(text), &got), 1);
	assert_int_equal(h.type, SYNC_PTY);
	assert_true(got > 2);
	assert_int_equal(fstat(0, &st1), 0);
	assert_int_equal(fstat(got, &st2), 0);
	assert_true(st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev);
	close(got);
	close(sv[1]);
	assert_int_equal(berth_rt_sync_recv(sv[0], &h, text, sizeof(text), NULL), 0);
	close(sv[0]);
}

/* A root with a symlink pointing out of it: resolution stays inside. */
static void check_in_root(int (*open_fn)(int, const char *, int))
{
	cleanup_free char *dir = make_tmpdir();
	cleanup_free char *sub = xasprintf("%s/etc", dir);
	cleanup_free char *inner = xasprintf("%s/etc/passwd", dir);
	cleanup_free char *esc = xasprintf("%s/escape", dir);
	cleanup_free char *rel = xasprintf("%s/up", dir);
	cleanup_close int root = -1, fd = -1;
	struct stat a, b;

	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(inner, "inside\n", 0644);
	assert_int_equal(symlink("/etc/passwd", esc), 0);
	assert_int_equal(symlink("../../../../etc/passwd", rel), 0);
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = open_fn(root, "/escape", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(inner, &b), 0);
	assert_true(a.st_ino == b.st_ino);
	close(fd);
	fd = open_fn(root, "up", O_PATH);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_true(a.st_ino == b.st_ino);
	close(fd);
	fd = open_fn(root, "/proc/self/fd/0", O_RDONLY);
	assert_true(fd < 0);
	fd = -1;
	rm_tree(dir);
}

static int open_in_root_fn(int root, const char *p, int flags)
{
	berth_error_t err = NULL;
	int fd = berth_rt_open_in_root(root, p, flags, &err);
	berth_error_release(&err);
	return fd;
}

static void test_open_in_root(void **state)
{
	(void)state;
	check_in_root(open_in_root_fn);
}

/* the walk used where openat2 is missing (Linux < 5.6), forced */
static void test_walk_in_root(void **state)
{
	(void)state;
	check_in_root(berth_rt_walk_in_root);
}

static void test_ensure_in_root(void **state)
{
	cleanup_free char *dir = make_tmpdir();
	cleanup_free char *made = xasprintf("%s/a/b/c", dir);
	cleanup_free char *file = xasprintf("%s/a/f", dir);
	cleanup_free char *link = xasprintf("%s/a/out", dir);
	cleanup_close int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	berth_error_t err = NULL;
	struct stat st;
	int fd;

	(void)state;
	fd = berth_rt_ensure_in_root(root, "/a/b/c", true, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(made, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	fd = berth_rt_ensure_in_root(root, "/a/f", false, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a dangling absolute link is followed inside the root, never out */
	assert_int_equal(symlink("/berth-test-should-not-exist", link), 0);
	fd = berth_rt_ensure_in_root(root, "/a/out/x", true, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access("/berth-test-should-not-exist", F_OK), -1);
	rm_tree(dir);
}

static void test_home_and_start_time(void **state)
{
	cleanup_free char *home = berth_rt_home_of(0);
	bool zombie = true;

	(void)state;
	assert_string_equal(home, "HOME=/root");
	assert_true(berth_runtime_pid_start_time(getpid(), &zombie) > 0);
	assert_false(zombie);
	assert_int_equal(berth_runtime_pid_start_time(INT32_MAX - 1, NULL), 0);
}

/* ------------------------------------------------------------ hooks */

static void test_hooks(void **state)
{
	cleanup_free char *dir = make_tmpdir();
	cleanup_free char *out = xasprintf("%s/state", dir);
	cleanup_free char *doc = xasprintf(
	    MINIMAL, "",
	    ",\"hooks\":{\"poststart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
	    "\"cat > \\\"$0\\\"\",\"%s\"]}],\"poststop\":[{\"path\":\"/bin/sh\",\"args\":["
	    "\"sh\",\"-c\",\"exit 3\"]}],\"prestart\":[{\"path\":\"/bin/sleep\",\"args\":["
	    "\"sleep\",\"5\"],\"timeout\":1}]}");
	cleanup_free char *full = NULL;
	cleanup_free char *st = NULL;
	cleanup_free char *got = NULL;
	berth_error_t err = NULL;
	cleanup_spec struct berth_spec *s = NULL;

	(void)state;
	full = xasprintf(doc, out);
	s = parse_str(full, &err);
	assert_non_null(s);
	st = berth_runtime_state_json("c1", "running", 42, "/b", s);
	assert_int_equal(berth_runtime_run_hooks(s, BERTH_HOOK_POSTSTART, st, &err), 0);
	assert_true(berth_fs_read_file(out, 4096, &got, &err) > 0);
	assert_string_equal(got, st);
	assert_non_null(strstr(got, "\"pid\":42"));
	assert_true(berth_runtime_run_hooks(s, BERTH_HOOK_POSTSTOP, st, &err) < 0);
	assert_non_null(strstr(err->msg, "status 3"));
	berth_error_release(&err);
	assert_true(berth_runtime_run_hooks(s, BERTH_HOOK_PRESTART, st, &err) < 0);
	assert_int_equal(err->code, ETIMEDOUT);
	berth_error_release(&err);
	assert_int_equal(berth_runtime_run_hooks(s, BERTH_HOOK_CREATE_CONTAINER, st, &err), 0);
	rm_tree(dir);
}

/* ------------------------------------------------------------ state */

static void test_state_ids(void **state)
{
	berth_error_t err = NULL;

	(void)state;
	assert_int_equal(berth_state_check_id("abc-DEF_1.2+x", &err), 0);
	assert_true(berth_state_check_id("", &err) < 0);
	berth_error_release(&err);
	assert_true(berth_state_check_id("../x", &err) < 0);
	berth_error_release(&err);
	assert_true(berth_state_check_id("a/b", &err) < 0);
	berth_error_release(&err);
	assert_true(berth_state_check_id(".hidden", &err) < 0);
	berth_error_release(&err);
}

static void test_state_roundtrip(void **state)
{
	cleanup_free char *root = make_tmpdir();
	struct berth_oci_state s = { 0 }, r;
	berth_error_t err = NULL;
	json_t *o;

	(void)state;
	assert_int_equal(berth_state_create_dir(root, "c1", &err), 0);
	assert_true(berth_state_create_dir(root, "c1", &err) < 0);
	assert_int_equal(err->code, EEXIST);
	berth_error_release(&err);
	s.id = "c1";
	s.bundle = "/b";
	s.rootfs = "/b/rootfs";
	s.created = "2026-01-01T00:00:00Z";
	s.cgroup_path = "/berth/c1";
	s.pid = getpid();
	s.start_time = berth_runtime_pid_start_time(getpid(), NULL);
	s.annotations = json_pack("{s:s}", "k", "v");
	assert_int_equal(berth_state_save(root, &s, &err), 0);
	assert_int_equal(berth_state_load(root, "c1", &r, &err), 0);
	assert_string_equal(r.bundle, "/b");
	assert_string_equal(r.cgroup_path, "/berth/c1");
	assert_int_equal(r.pid, getpid());
	assert_string_equal(berth_state_status(root, &r), "running");
	r.start_time++; /* a reused pid */
	assert_string_equal(berth_state_status(root, &r), "stopped");
	r.start_time--;
	o = berth_state_to_json(&r, "running");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "running");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "annotations"), "k")), "v");
	json_decref(o);
	berth_state_release(&r);
	json_decref(s.annotations);
	assert_true(berth_state_load(root, "nope", &r, &err) < 0);
	assert_int_equal(err->code, ENOENT);
	assert_non_null(strstr(err->msg, "does not exist"));
	berth_error_release(&err);
	assert_int_equal(berth_state_remove(root, "c1", &err), 0);
	rm_tree(root);
}

static void test_exec_fifo(void **state)
{
	cleanup_free char *dir = make_tmpdir();
	cleanup_free char *fifo = xasprintf("%s/exec.fifo", dir);
	berth_error_t err = NULL;
	int fd;
	char b = 0;

	(void)state;
	assert_int_equal(berth_runtime_make_exec_fifo(fifo, &err), 0);
	/* nobody waits on it: ESRCH, and the FIFO stays */
	assert_true(berth_runtime_start_fifo(fifo, &err) < 0);
	assert_int_equal(err->code, ESRCH);
	berth_error_release(&err);
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(berth_runtime_start_fifo(fifo, &err), 0);
	assert_int_equal(read(fd, &b, 1), 1);
	assert_int_equal(access(fifo, F_OK), -1);
	close(fd);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_process),
		cmocka_unit_test(test_example_root_and_mounts),
		cmocka_unit_test(test_example_linux),
		cmocka_unit_test(test_minimal_and_bind_source),
		cmocka_unit_test(test_rlimit_infinity),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_mount_options),
		cmocka_unit_test(test_process_parse),
		cmocka_unit_test(test_sysctl_rules),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cgroup_path),
		cmocka_unit_test(test_lookup_path),
		cmocka_unit_test(test_close_fds),
		cmocka_unit_test(test_sync_roundtrip),
		cmocka_unit_test(test_open_in_root),
		cmocka_unit_test(test_walk_in_root),
		cmocka_unit_test(test_ensure_in_root),
		cmocka_unit_test(test_home_and_start_time),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_state_ids),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_exec_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
