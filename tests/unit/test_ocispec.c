/* test_ocispec.c: docker create requests -> OCI runtime specs. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "engine/ocispec.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static json_t *J(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void check_args(const char *image, const char *create, const char *want)
{
	json_t *i = J(image), *c = J(create);
	berth_error_t err = NULL;
	json_t *a = berth_oci_args(i, c, &err);
	char *got;

	assert_non_null(a);
	got = dump(a);
	assert_string_equal(got, want);
	free(got);
	json_decref(a);
	json_decref(i);
	json_decref(c);
}

static void test_args(void **state)
{
	/* image Cmd when the request has none */
	check_args("{\"Cmd\":[\"sh\"]}", "{}", "[\"sh\"]");
	/* request Cmd replaces it */
	check_args("{\"Cmd\":[\"sh\"]}", "{\"Cmd\":[\"echo\",\"hi\"]}", "[\"echo\",\"hi\"]");
	/* image entrypoint + request cmd (redis-style) */
	check_args("{\"Entrypoint\":[\"docker-entrypoint.sh\"],\"Cmd\":[\"redis-server\"]}",
		   "{\"Cmd\":[\"--appendonly\",\"yes\"]}",
		   "[\"docker-entrypoint.sh\",\"--appendonly\",\"yes\"]");
	/* a request entrypoint drops the image's Cmd */
	check_args("{\"Entrypoint\":[\"a\"],\"Cmd\":[\"b\"]}", "{\"Entrypoint\":[\"sh\"]}",
		   "[\"sh\"]");
	/* --entrypoint "" clears it */
	check_args("{\"Entrypoint\":[\"a\"],\"Cmd\":[\"b\"]}",
		   "{\"Entrypoint\":[\"\"],\"Cmd\":[\"true\"]}", "[\"true\"]");
	/* a string Cmd (old clients) */
	check_args("{}", "{\"Cmd\":\"true\"}", "[\"true\"]");
}

static void test_no_command(void **state)
{
	json_t *i = J("{}"), *c = J("{\"Cmd\":null}");
	berth_error_t err = NULL;

	assert_null(berth_oci_args(i, c, &err));
	assert_string_equal(err->msg, "no command specified");
	berth_error_release(&err);
	json_decref(i);
	json_decref(c);
}

static void test_env(void **state)
{
	json_t *i = J("{\"Env\":[\"PATH=/x\",\"A=1\",\"B=2\"]}");
	json_t *c = J("{\"Env\":[\"A=9\",\"C=3\"],\"Tty\":true}");
	json_t *e = berth_oci_env(i, c, "host1");
	char *got = dump(e);

	assert_string_equal(
	    got, "[\"PATH=/x\",\"HOSTNAME=host1\",\"A=9\",\"B=2\",\"C=3\",\"TERM=xterm\"]");
	free(got);
	json_decref(e);
	json_decref(i);
	json_decref(c);
	i = J("{}");
	c = J("{}");
	e = berth_oci_env(i, c, NULL);
	got = dump(e);
	assert_string_equal(got, "[\"PATH=" BERTH_DEFAULT_PATH "\"]");
	free(got);
	json_decref(e);
	json_decref(i);
	json_decref(c);
}

static bool has(const json_t *list, const char *s)
{
	size_t i;
	json_t *it;

	json_array_foreach (list, i, it)
		if (strcmp(json_string_value(it), s) == 0)
			return true;
	return false;
}

static void test_caps(void **state)
{
	berth_error_t err = NULL;
	json_t *hc = J("{\"CapAdd\":[\"net_admin\",\"CAP_SYS_PTRACE\"],\"CapDrop\":[\"chown\"]}");
	json_t *caps = berth_oci_caps(hc, &err);

	assert_non_null(caps);
	assert_true(has(caps, "CAP_NET_ADMIN"));
	assert_true(has(caps, "CAP_SYS_PTRACE"));
	assert_false(has(caps, "CAP_CHOWN"));
	assert_true(has(caps, "CAP_KILL"));
	assert_false(has(caps, "CAP_SYS_ADMIN"));
	json_decref(caps);
	json_decref(hc);
	hc = J("{\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"KILL\"]}");
	caps = berth_oci_caps(hc, &err);
	assert_int_equal(json_array_size(caps), 1);
	json_decref(caps);
	json_decref(hc);
	hc = J("{\"Privileged\":true}");
	caps = berth_oci_caps(hc, &err);
	assert_true(has(caps, "CAP_SYS_ADMIN"));
	json_decref(caps);
	json_decref(hc);
	hc = J("{\"CapAdd\":[\"NOT_A_CAP\"]}");
	assert_null(berth_oci_caps(hc, &err));
	assert_string_equal(err->msg, "unknown capability: \"NOT_A_CAP\"");
	berth_error_release(&err);
	json_decref(hc);
}

static json_t *build(const char *image, const char *create, berth_error_t *err)
{
	json_t *i = J(image), *c = J(create), *spec;
	struct berth_oci_inputs in = { .image = i, .create = c, .id = ID, .rootfs = "/rootfs" };

	spec = berth_oci_spec_build(&in, err);
	json_decref(i);
	json_decref(c);
	return spec;
}

static const json_t *find_mount(const json_t *spec, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(spec, "mounts"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
			return m;
	return NULL;
}

static void test_spec_defaults(void **state)
{
	berth_error_t err = NULL;
	json_t *spec =
	    build("{\"Cmd\":[\"sh\"],\"WorkingDir\":\"/data\"}", "{\"HostConfig\":{}}", &err);
	json_t *linux_, *proc;

	assert_non_null(spec);
	proc = json_object_get(spec, "process");
	assert_string_equal(json_string_value(json_object_get(spec, "hostname")), "0123456789ab");
	assert_string_equal(json_string_value(json_object_get(proc, "cwd")), "/data");
	assert_false(json_is_true(json_object_get(proc, "noNewPrivileges")));
	assert_non_null(find_mount(spec, "/proc"));
	assert_non_null(find_mount(spec, "/dev/pts"));
	assert_non_null(find_mount(spec, "/dev/shm"));
	linux_ = json_object_get(spec, "linux");
	assert_string_equal(json_string_value(json_object_get(linux_, "cgroupsPath")),
			    "/berth/" ID);
	assert_true(json_array_size(json_object_get(linux_, "maskedPaths")) > 5);
	assert_true(json_array_size(json_object_get(linux_, "readonlyPaths")) == 5);
	assert_non_null(json_object_get(linux_, "seccomp"));
	assert_int_equal(json_array_size(json_object_get(linux_, "namespaces")), 5);
	json_decref(spec);
}

static void test_spec_options(void **state)
{
	berth_error_t err = NULL;
	json_t *spec =
	    build("{\"Cmd\":[\"sh\"]}",
		  "{\"Hostname\":\"x\",\"HostConfig\":{\"Memory\":16777216,\"NanoCpus\":1500000000,"
		  "\"PidsLimit\":20,\"ReadonlyRootfs\":true,\"NetworkMode\":\"host\","
		  "\"SecurityOpt\":[\"no-new-privileges\",\"seccomp=unconfined\"],"
		  "\"Tmpfs\":{\"/run\":\"size=1m\"},\"ShmSize\":1048576,"
		  "\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":100,\"Hard\":200}]}}",
		  &err);
	json_t *res, *linux_;
	char *got;

	assert_non_null(spec);
	linux_ = json_object_get(spec, "linux");
	res = json_object_get(linux_, "resources");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")), 16777216);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(res, "memory"), "swap")), 33554432);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")),
			 150000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")),
			 20);
	assert_true(json_is_true(json_object_get(json_object_get(spec, "root"), "readonly")));
	assert_true(
	    json_is_true(json_object_get(json_object_get(spec, "process"), "noNewPrivileges")));
	assert_null(json_object_get(linux_, "seccomp"));
	assert_int_equal(json_array_size(json_object_get(linux_, "namespaces")), 4);
	assert_non_null(find_mount(spec, "/run"));
	got = dump(json_object_get(find_mount(spec, "/dev/shm"), "options"));
	assert_non_null(strstr(got, "size=1048576"));
	free(got);
	got = dump(json_object_get(json_object_get(spec, "process"), "rlimits"));
	assert_string_equal(got, "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200}]");
	free(got);
	json_decref(spec);
}

static void test_spec_errors(void **state)
{
	static const char *const bad[] = {
		"{\"WorkingDir\":\"relative\"}",
		"{\"HostConfig\":{\"SecurityOpt\":[\"bogus\"]}}",
		"{\"HostConfig\":{\"CapAdd\":[\"NOPE\"]}}",
		"{\"HostConfig\":{\"Tmpfs\":{\"relative\":\"\"}}}",
		"{\"HostConfig\":{\"Ulimits\":[{\"Name\":\"nofile\"}]}}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berth_error_t err = NULL;
		assert_null(build("{\"Cmd\":[\"sh\"]}", bad[i], &err));
		assert_non_null(err);
		berth_error_release(&err);
	}
}

static void test_users(void **state)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "redis:x:100:101::/var/lib/redis:/sbin/nologin\n";
	static const char group[] = "root:x:0:\nredis:x:101:\nwheel:x:10:root,redis\n";
	berth_error_t err = NULL;
	gid_t *groups = NULL;
	size_t n = 0;
	uid_t uid;
	gid_t gid;

	assert_int_equal(
	    berth_oci_resolve_user("redis", passwd, group, &uid, &gid, &groups, &n, &err), 0);
	assert_int_equal(uid, 100);
	assert_int_equal(gid, 101);
	assert_int_equal(n, 1);
	assert_int_equal(groups[0], 10);
	free(groups);
	assert_int_equal(
	    berth_oci_resolve_user("1000:1000", passwd, group, &uid, &gid, &groups, &n, &err), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 1000);
	free(groups);
	assert_int_equal(
	    berth_oci_resolve_user("root:wheel", passwd, group, &uid, &gid, &groups, &n, &err), 0);
	assert_int_equal(gid, 10);
	free(groups);
	assert_int_equal(berth_oci_resolve_user("", NULL, NULL, &uid, &gid, &groups, &n, &err), 0);
	assert_int_equal(uid, 0);
	free(groups);
	assert_true(berth_oci_resolve_user("nobody", passwd, group, &uid, &gid, &groups, &n, &err) <
		    0);
	assert_string_equal(err->msg,
			    "unable to find user nobody: no matching entries in passwd file");
	berth_error_release(&err);
	assert_true(berth_oci_resolve_user("root:nogroup", passwd, group, &uid, &gid, &groups, &n,
					   &err) < 0);
	berth_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),	      cmocka_unit_test(test_no_command),
		cmocka_unit_test(test_env),	      cmocka_unit_test(test_caps),
		cmocka_unit_test(test_spec_defaults), cmocka_unit_test(test_spec_options),
		cmocka_unit_test(test_spec_errors),   cmocka_unit_test(test_users),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
