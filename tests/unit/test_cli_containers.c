/* test_cli_containers.c: the client side of the container commands: the
 * create request built from run's flags (compared, byte for byte, with
 * the bodies the docker 28 CLI sent to dockerd for the same flags), the
 * flag value parsers, docker's stream framing, and the pieces of ps. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "cli/container_internal.h"

/* `docker run --rm busybox echo hi` */
static const char default_body[] =
    "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":true,\"AttachSt"
    "derr\":true,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\"Cmd\":[\"echo\",\"hi\"],"
    "\"Image\":\"busybox\",\"Volumes\":{},\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{"
    "},\"HostConfig\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\"Net"
    "workMode\":\"default\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},"
    "\"AutoRemove\":true,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":null,\""
    "CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,"
    "\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privil"
    "eged\":false,\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\""
    ",\"UsernsMode\":\"\",\"ShmSize\":0,\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupP"
    "arent\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWrite"
    "Bps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,\"Cpu"
    "RealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"Devices\":[],\"Dev"
    "iceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwa"
    "ppiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,\"Ulimits\":[],\"CpuCount\":0,\"CpuPercent\":0,"
    "\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,\"ReadonlyPaths\":null},\"Network"
    "ingConfig\":{\"EndpointsConfig\":{\"default\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"M"
    "acAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\""
    ",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixL"
    "en\":0,\"DNSNames\":null}}}}";

/* `docker create` with most flags (see test_config_full); Env in flag order */
static const char full_body[] =
    "{\"Hostname\":\"hostx\",\"Domainname\":\"\",\"User\":\"1000:1000\",\"AttachStdin\":true,\"AttachStdout\":t"
    "rue,\"AttachStderr\":true,\"ExposedPorts\":{\"7000/tcp\":{},\"7001/tcp\":{},\"80/tcp\":{},\"90/udp\":{"
    "}},\"Tty\":true,\"OpenStdin\":true,\"StdinOnce\":true,\"Env\":[\"A=1\",\"X=1\",\"Y\"],\"Cmd\":[\"-c\",\"echo "
    "hi\"],\"Image\":\"busybox\",\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/tmp\",\"Entrypoint\":[\"/bin/sh\"]"
    ",\"OnBuild\":null,\"Labels\":{\"a\":\"b\",\"c\":\"\",\"lab1\":\"x\"},\"StopSignal\":\"SIGINT\",\"StopTimeout\":5"
    ",\"HostConfig\":{\"Binds\":[\"/tmp:/mnt:ro\"],\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"json-fil"
    "e\",\"Config\":{\"max-size\":\"1m\"}},\"NetworkMode\":\"bridge\",\"PortBindings\":{\"80/tcp\":[{\"HostIp\":"
    "\"\",\"HostPort\":\"8080\"}],\"90/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9000\"}]},\"RestartPolicy"
    "\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},\"AutoRemove\":false,\"VolumeDriver\":\"\",\"Volume"
    "sFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":[\"CAP_NET_ADMIN\"],\"CapDrop\":[\"CAP_MKNOD\"],\"Cgroup"
    "nsMode\":\"\",\"Dns\":[\"8.8.8.8\"],\"DnsOptions\":[\"ndots:1\"],\"DnsSearch\":[\"ex.com\"],\"ExtraHosts\":"
    "[\"h:1.2.3.4\"],\"GroupAdd\":[\"10\"],\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"Pid"
    "Mode\":\"\",\"Privileged\":true,\"PublishAllPorts\":true,\"ReadonlyRootfs\":true,\"SecurityOpt\":[\"no"
    "-new-privileges\"],\"Tmpfs\":{\"/run\":\"rw,size=1m\"},\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":671"
    "08864,\"Isolation\":\"\",\"CpuShares\":512,\"Memory\":67108864,\"NanoCpus\":1500000000,\"CgroupParent"
    "\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":"
    "[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":100000,\"CpuQuota\":50000,"
    "\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"0\",\"CpusetMems\":\"\",\"Devices\":[{"
    "\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/xnull\",\"CgroupPermissions\":\"r\"}],\"DeviceC"
    "groupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":33554432,\"MemorySwap\":134217728"
    ",\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":100,\"Ulimits\":[{\"Name\":\"nofile\","
    "\"Hard\":2048,\"Soft\":1024}],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidt"
    "h\":0,\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/x\"}],\"MaskedPaths\":null,\"ReadonlyPaths\":null,\"In"
    "it\":true},\"NetworkingConfig\":{\"EndpointsConfig\":{}}}";

static char *body_text(const struct berth_cli_create_opts *o, const char *image,
		       const char *const *args, size_t n)
{
	berth_error_t err = NULL;
	json_t *body = NULL;
	char *s;

	if (berth_cli_container_config(o, image, args, n, &body, &err) < 0) {
		s = xasprintf("ERR: %s", err->msg);
		berth_error_release(&err);
		return s;
	}
	s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	return s;
}

static void push(struct berth_strv *v, const char *s)
{
	berth_strv_push(v, s);
}

static void test_config_default(void **state)
{
	struct berth_cli_create_opts o = { .rm = true };
	const char *args[] = { "echo", "hi" };
	cleanup_free char *s = body_text(&o, "busybox", args, 2);

	(void)state;
	assert_string_equal(s, default_body);
}

static void release_opts(struct berth_cli_create_opts *o)
{
	struct berth_strv *lists[] = { &o->env,		 &o->env_file,	 &o->label,
				       &o->label_file,	 &o->cap_add,	 &o->cap_drop,
				       &o->security_opt, &o->tmpfs,	 &o->ulimit,
				       &o->add_host,	 &o->log_opt,	 &o->network,
				       &o->volume,	 &o->mount,	 &o->publish,
				       &o->expose,	 &o->group_add,	 &o->dns,
				       &o->dns_search,	 &o->dns_option, &o->device };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		berth_strv_release(lists[i]);
}

static void test_config_full(void **state)
{
	char dir[] = "/tmp/test_cli_containers.XXXXXX";
	struct berth_cli_create_opts o = { 0 };
	const char *args[] = { "-c", "echo hi" };
	cleanup_free char *envf = NULL;
	cleanup_free char *labf = NULL;
	cleanup_free char *s = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	envf = xasprintf("%s/envf", dir);
	labf = xasprintf("%s/labf", dir);
	f = fopen(envf, "w");
	fputs("A=1\n# c\nB_NOT_SET_ANYWHERE\n", f);
	fclose(f);
	f = fopen(labf, "w");
	fputs("lab1=x\n", f);
	fclose(f);
	unsetenv("Y");
	push(&o.env, "X=1");
	push(&o.env, "Y");
	push(&o.env_file, envf);
	o.workdir = "/tmp";
	o.user = "1000:1000";
	o.entrypoint = "/bin/sh";
	o.hostname = "hostx";
	push(&o.label, "a=b");
	push(&o.label, "c");
	push(&o.label_file, labf);
	o.tty = o.interactive = true;
	o.init = BERTH_OPT_SET_TRUE;
	o.restart = "on-failure:3";
	o.memory = "64m";
	o.memory_swap = "128m";
	o.memory_reservation = "32m";
	o.cpus = "1.5";
	o.cpu_shares = "512";
	o.cpu_quota = "50000";
	o.cpu_period = "100000";
	o.cpuset_cpus = "0";
	o.pids_limit = "100";
	push(&o.cap_add, "NET_ADMIN");
	push(&o.cap_drop, "MKNOD");
	o.read_only = true;
	push(&o.security_opt, "no-new-privileges");
	push(&o.tmpfs, "/run:rw,size=1m");
	o.shm_size = "64m";
	push(&o.ulimit, "nofile=1024:2048");
	o.stop_signal = "SIGINT";
	o.stop_timeout = "5";
	push(&o.add_host, "h:1.2.3.4");
	o.log_driver = "json-file";
	push(&o.log_opt, "max-size=1m");
	push(&o.network, "bridge");
	push(&o.volume, "/tmp:/mnt:ro");
	push(&o.volume, "/data");
	push(&o.mount, "type=tmpfs,target=/x");
	push(&o.publish, "8080:80");
	push(&o.publish, "127.0.0.1:9000:90/udp");
	push(&o.expose, "7000-7001");
	o.publish_all = true;
	push(&o.group_add, "10");
	push(&o.dns, "8.8.8.8");
	push(&o.dns_search, "ex.com");
	push(&o.dns_option, "ndots:1");
	push(&o.device, "/dev/null:/dev/xnull:r");
	o.privileged = true;
	s = body_text(&o, "busybox", args, 2);
	assert_string_equal(s, full_body);
	release_opts(&o);
	unlink(envf);
	unlink(labf);
	rmdir(dir);
}

static void test_config_errors(void **state)
{
	struct berth_cli_create_opts o = { .rm = true, .restart = "always" };
	cleanup_free char *a = NULL;
	cleanup_free char *b = NULL;
	cleanup_free char *c = NULL;
	cleanup_free char *d = NULL;

	(void)state;
	a = body_text(&o, "busybox", NULL, 0);
	assert_string_equal(a, "ERR: conflicting options: cannot specify both --restart and --rm");
	o = (struct berth_cli_create_opts){ .restart = "x:y" };
	b = body_text(&o, "busybox", NULL, 0);
	assert_string_equal(
	    b, "ERR: invalid restart policy format: maximum retry count must be an integer");
	o = (struct berth_cli_create_opts){ 0 };
	push(&o.publish, "80:x");
	c = body_text(&o, "busybox", NULL, 0);
	assert_string_equal(c, "ERR: invalid containerPort: x");
	berth_strv_release(&o.publish);
	push(&o.env_file, "/nonexistent/env");
	d = body_text(&o, "busybox", NULL, 0);
	assert_string_equal(d, "ERR: open /nonexistent/env: no such file or directory");
	berth_strv_release(&o.env_file);
}

static void test_parse_values(void **state)
{
	berth_error_t err = NULL;
	int64_t v = 0;

	(void)state;
	assert_int_equal(berth_cli_parse_ram("64m", &v, &err), 0);
	assert_int_equal(v, 64 * 1024 * 1024);
	assert_int_equal(berth_cli_parse_ram("1.5g", &v, &err), 0);
	assert_int_equal(v, 1610612736);
	assert_int_equal(berth_cli_parse_ram("512", &v, &err), 0);
	assert_int_equal(v, 512);
	assert_true(berth_cli_parse_ram("1x", &v, &err) < 0);
	assert_string_equal(err->msg, "invalid suffix: 'x'");
	berth_error_release(&err);
	assert_true(berth_cli_parse_ram("abc", &v, &err) < 0);
	assert_string_equal(err->msg, "invalid size: 'abc'");
	berth_error_release(&err);
	assert_int_equal(berth_cli_parse_cpus("1.5", &v, &err), 0);
	assert_int_equal(v, 1500000000);
	assert_true(berth_cli_parse_cpus("abc", &v, &err) < 0);
	assert_string_equal(err->msg, "failed to parse abc as a rational number");
	berth_error_release(&err);
	assert_true(berth_cli_parse_cpus("0.0000000001", &v, &err) < 0);
	assert_string_equal(err->msg, "value is too precise");
	berth_error_release(&err);
	assert_int_equal(berth_cli_parse_go_duration("1m30s", &v, &err), 0);
	assert_int_equal(v, 90000000000LL);
	assert_true(berth_cli_parse_go_duration("5", &v, &err) < 0);
	assert_string_equal(err->msg, "time: missing unit in duration \"5\"");
	berth_error_release(&err);
}

static void test_human_duration(void **state)
{
	char buf[64];
	const int64_t s = 1000000000LL;

	(void)state;
	assert_string_equal(berth_cli_human_duration(0, buf, sizeof(buf)), "Less than a second");
	assert_string_equal(berth_cli_human_duration(1 * s, buf, sizeof(buf)), "1 second");
	assert_string_equal(berth_cli_human_duration(59 * s, buf, sizeof(buf)), "59 seconds");
	assert_string_equal(berth_cli_human_duration(90 * s, buf, sizeof(buf)), "About a minute");
	assert_string_equal(berth_cli_human_duration(3599 * s, buf, sizeof(buf)), "59 minutes");
	/* hours are rounded: 2h40m is "3 hours", as go-units says */
	assert_string_equal(berth_cli_human_duration(9600 * s, buf, sizeof(buf)), "3 hours");
	assert_string_equal(berth_cli_human_duration(5400 * s, buf, sizeof(buf)), "2 hours");
	assert_string_equal(berth_cli_human_duration(3 * 86400 * s, buf, sizeof(buf)), "3 days");
}

struct sink {
	char out[64], errs[64];
	size_t nout, nerr;
};

static int collect(int stream, const char *data, size_t len, void *arg)
{
	struct sink *k = arg;

	if (stream == 2) {
		memcpy(k->errs + k->nerr, data, len);
		k->nerr += len;
	} else {
		memcpy(k->out + k->nout, data, len);
		k->nout += len;
	}
	return 0;
}

static void test_demux(void **state)
{
	static const char frames[] = "\1\0\0\0\0\0\0\3out\2\0\0\0\0\0\0\4err!"
				     "\1\0\0\0\0\0\0\2ab";
	struct berth_cli_demux d = { 0 };
	struct sink k = { 0 };

	(void)state;
	/* fed one byte at a time: headers and payloads split anywhere */
	for (size_t i = 0; i < sizeof(frames) - 1; i++)
		assert_int_equal(berth_cli_demux_feed(&d, frames + i, 1, collect, &k), 0);
	assert_int_equal(k.nout, 5);
	assert_memory_equal(k.out, "outab", 5);
	assert_int_equal(k.nerr, 4);
	assert_memory_equal(k.errs, "err!", 4);
	memset(&d, 0, sizeof(d));
	assert_int_equal(berth_cli_demux_feed(&d, "\7\0\0\0\0\0\0\1x", 9, collect, &k), -2);
}

static void test_detach_keys(void **state)
{
	unsigned char keys[8];
	berth_error_t err = NULL;

	(void)state;
	assert_int_equal(berth_cli_detach_keys("ctrl-p,ctrl-q", keys, sizeof(keys), &err), 2);
	assert_int_equal(keys[0], 16);
	assert_int_equal(keys[1], 17);
	assert_int_equal(berth_cli_detach_keys("a,ctrl-@,ctrl-[", keys, sizeof(keys), &err), 3);
	assert_int_equal(keys[0], 'a');
	assert_int_equal(keys[1], 0);
	assert_int_equal(keys[2], 27);
	assert_true(berth_cli_detach_keys("ctrl-1", keys, sizeof(keys), &err) < 0);
	berth_error_release(&err);
}

static void test_ellipsis(void **state)
{
	cleanup_free char *a = berth_cli_ellipsis("sleep 1000", 20);
	cleanup_free char *b = berth_cli_ellipsis("sh -c 'while true; do sleep 1; done'", 20);
	cleanup_free char *c = berth_cli_ellipsis("12345678901234567890", 20);

	(void)state;
	assert_string_equal(a, "sleep 1000");
	assert_string_equal(b, "sh -c 'while true; \xe2\x80\xa6");
	assert_string_equal(c, "12345678901234567890");
}

static void test_display_ports(void **state)
{
	json_t *ports = json_loads(
	    "[{\"PrivatePort\":8001,\"Type\":\"tcp\"},{\"PrivatePort\":8000,\"Type\":\"tcp\"},"
	    "{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},"
	    "{\"IP\":\"::\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},"
	    "{\"PrivatePort\":53,\"Type\":\"udp\"},"
	    "{\"IP\":\"0.0.0.0\",\"PrivatePort\":9000,\"PublicPort\":9000,\"Type\":\"tcp\"}]",
	    0, NULL);
	cleanup_free char *s = berth_cli_display_ports(ports);

	(void)state;
	assert_string_equal(s, "53/udp, 8000-8001/tcp, 0.0.0.0:9000->9000/tcp, "
			       "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp");
	json_decref(ports);
}

static void test_ps_rows(void **state)
{
	json_t *list = json_loads(
	    "[{\"Id\":\"ed51a7a37902f3b2c0d1aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f\","
	    "\"Names\":[\"/frosty_merkle\"],\"Image\":\"busybox\",\"ImageID\":\"sha256:d8cd\","
	    "\"Command\":\"sh -c 'exit 3'\",\"Created\":1000,\"Ports\":[],\"Labels\":{\"b\":\"2\","
	    "\"a\":\"1\"},\"State\":\"exited\",\"Status\":\"Exited (3) 49 seconds ago\","
	    "\"NetworkSettings\":{\"Networks\":{\"bridge\":{}}},\"Mounts\":[]}]",
	    0, NULL);
	json_t *rows = berth_cli_ps_rows(list, true, 1050);
	json_t *r = json_array_get(rows, 0);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(r, "ID")), "ed51a7a37902");
	assert_string_equal(json_string_value(json_object_get(r, "Command")), "\"sh -c 'exit 3'\"");
	assert_string_equal(json_string_value(json_object_get(r, "RunningFor")), "50 seconds ago");
	assert_string_equal(json_string_value(json_object_get(r, "Names")), "frosty_merkle");
	assert_string_equal(json_string_value(json_object_get(r, "Labels")), "a=1,b=2");
	assert_string_equal(json_string_value(json_object_get(r, "Networks")), "bridge");
	assert_string_equal(json_string_value(json_object_get(r, "Size")), "0B");
	assert_string_equal(json_string_value(json_object_get(r, "LocalVolumes")), "0");
	json_decref(rows);
	json_decref(list);
}

static void test_ps_format(void **state)
{
	cleanup_free char *a = berth_cli_ps_format(NULL, false, true);
	cleanup_free char *b = berth_cli_ps_format("{{.Names}}", true, false);

	(void)state;
	assert_string_equal(a, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
			       "{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}");
	assert_string_equal(b, "{{.ID}}");
}

static void check_split(const char *arg, const char *ctr, const char *path)
{
	cleanup_free char *c = NULL;
	cleanup_free char *p = NULL;

	berth_cli_cp_split(arg, &c, &p);
	if (ctr)
		assert_string_equal(c, ctr);
	else
		assert_null(c);
	assert_string_equal(p, path);
}

static void check_clean(const char *in, const char *want)
{
	cleanup_free char *c = berth_cli_cp_clean(in);

	assert_string_equal(c, want);
}

static void check_entry(const char *in, const char *dir, const char *base)
{
	cleanup_free char *d = NULL;
	cleanup_free char *b = NULL;

	berth_cli_cp_split_dir_entry(in, &d, &b);
	assert_string_equal(d, dir);
	assert_string_equal(b, base);
}

static void test_cp_paths(void **state)
{
	cleanup_free char *t1 = berth_cli_cp_preserve_trailing("/a/b", "a/b/.");
	cleanup_free char *t2 = berth_cli_cp_preserve_trailing("/a/b", "a/b/");
	cleanup_free char *t3 = berth_cli_cp_preserve_trailing("/", "./");

	(void)state;
	check_split("c1:/etc/passwd", "c1", "/etc/passwd");
	check_split("/abs:x", NULL, "/abs:x");
	check_split("./file:name", NULL, "./file:name");
	check_split("plain", NULL, "plain");
	check_split(":x", NULL, "x");
	check_split("-", NULL, "-");
	check_clean("", ".");
	check_clean("/a//b/./c/..", "/a/b");
	check_clean("../../x/..", "../..");
	check_clean("/..", "/");
	check_clean("a/", "a");
	check_entry("/etc/.", "/etc", ".");
	check_entry("/etc/", "/", "etc");
	check_entry("/", "/", "/");
	check_entry("x", ".", "x");
	assert_string_equal(t1, "/a/b/.");
	assert_string_equal(t2, "/a/b/");
	assert_string_equal(t3, "/./");
}

static void test_cp_prepare(void **state)
{
	struct berth_cli_cp_info file = { .path = "/s/f", .exists = true };
	struct berth_cli_cp_info dir = { .path = "/s/d/.", .exists = true, .is_dir = true };
	struct berth_cli_cp_info edir = { .path = "/t/d", .exists = true, .is_dir = true };
	struct berth_cli_cp_info efile = { .path = "/t/f", .exists = true };
	struct berth_cli_cp_info nnew = { .path = "/t/new" };
	struct berth_cli_cp_info ndir = { .path = "/t/new/" };
	cleanup_error berth_error_t err = NULL;
	char *dd = NULL, *ob = NULL, *nb = NULL;

	(void)state;
	assert_int_equal(berth_cli_cp_prepare(&file, &edir, &dd, &ob, &nb, &err), 0);
	assert_string_equal(dd, "/t/d");
	assert_null(ob);
	free(dd);
	assert_int_equal(berth_cli_cp_prepare(&dir, &nnew, &dd, &ob, &nb, &err), 0);
	assert_string_equal(dd, "/t");
	assert_string_equal(ob, ".");
	assert_string_equal(nb, "new");
	free(dd);
	free(ob);
	free(nb);
	assert_int_equal(berth_cli_cp_prepare(&file, &efile, &dd, &ob, &nb, &err), 0);
	assert_string_equal(ob, "f");
	assert_string_equal(nb, "f");
	free(dd);
	free(ob);
	free(nb);
	assert_true(berth_cli_cp_prepare(&dir, &efile, &dd, &ob, &nb, &err) < 0);
	assert_string_equal(err->msg, "cannot copy directory");
	berth_error_release(&err);
	assert_true(berth_cli_cp_prepare(&file, &ndir, &dd, &ob, &nb, &err) < 0);
	assert_string_equal(err->msg, "no such directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_default), cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_config_errors),  cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_human_duration), cmocka_unit_test(test_demux),
		cmocka_unit_test(test_detach_keys),    cmocka_unit_test(test_ellipsis),
		cmocka_unit_test(test_display_ports),  cmocka_unit_test(test_ps_rows),
		cmocka_unit_test(test_ps_format),      cmocka_unit_test(test_cp_paths),
		cmocka_unit_test(test_cp_prepare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
