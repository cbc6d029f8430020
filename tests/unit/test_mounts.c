/* test_mounts.c: unit tests of engine/mounts.c: docker's Binds, Mounts and
 * VolumesFrom parsers, path.Clean, and the local driver's names and
 * options, with moby's error texts. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "engine/mounts.h"

static const char *S(const json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

static bool B(const json_t *rec, const char *k)
{
	return json_is_true(json_object_get(rec, k));
}

/* RET is a failure with the error CODE and MSG in *ERR (released). */
static void failed_with(int ret, berth_error_t *err, int code, const char *msg)
{
	assert_true(ret < 0);
	assert_int_equal(berth_error_code(*err), code);
	assert_string_equal((*err)->msg, msg);
	berth_error_release(err);
}

/* The error text of parsing SPEC as a bind (which must fail). */
static void bind_fails(const char *spec, int code, const char *msg)
{
	berth_error_t err = NULL;
	json_t *rec = NULL;

	failed_with(berth_mount_parse_bind(spec, &rec, &err), &err, code, msg);
	assert_null(rec);
}

static void test_clean_path(void **state)
{
	static const char *const cases[][2] = {
		{ "", "." },	     { "/", "/" },	    { "//a//b/", "/a/b" }, { "/a/./b/..", "/a" },
		{ "/../x", "/x" },   { "a/../..", ".." },   { "a/b/../c", "a/c" }, { "/data/", "/data" },
		{ "./", "." },	     { "../../a", "../../a" }, { "/a/b/c/../../..", "/" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = berth_mount_clean_path(cases[i][0]);
		assert_string_equal(c, cases[i][1]);
		free(c);
	}
}

static void test_bind_forms(void **state)
{
	json_t *rec = NULL;

	(void)state;
	/* a host path: a bind, rprivate, made when missing */
	assert_int_equal(berth_mount_parse_bind("/host//dir/:/ctr/:ro", &rec, NULL), 0);
	assert_string_equal(S(rec, "Type"), "bind");
	assert_string_equal(S(rec, "Source"), "/host/dir");
	assert_string_equal(S(rec, "Destination"), "/ctr");
	assert_string_equal(S(rec, "Mode"), "ro");
	assert_string_equal(S(rec, "Propagation"), "rprivate");
	assert_false(B(rec, "RW"));
	assert_true(B(rec, "CreateSource"));
	json_decref(rec);
	assert_int_equal(berth_mount_parse_bind("/h:/c:rshared,z", &rec, NULL), 0);
	assert_string_equal(S(rec, "Propagation"), "rshared");
	assert_true(B(rec, "RW"));
	json_decref(rec);
	/* a name: a volume, filled from the image unless nocopy */
	assert_int_equal(berth_mount_parse_bind("data:/data", &rec, NULL), 0);
	assert_string_equal(S(rec, "Type"), "volume");
	assert_string_equal(S(rec, "Name"), "data");
	assert_string_equal(S(rec, "Driver"), "local");
	assert_true(B(rec, "CopyData"));
	assert_false(B(rec, "Anonymous"));
	json_decref(rec);
	assert_int_equal(berth_mount_parse_bind("data:/data:ro,nocopy", &rec, NULL), 0);
	assert_false(B(rec, "CopyData"));
	assert_false(B(rec, "RW"));
	json_decref(rec);
	/* a lone path: an anonymous volume */
	assert_int_equal(berth_mount_parse_bind("/anon", &rec, NULL), 0);
	assert_string_equal(S(rec, "Type"), "volume");
	assert_string_equal(S(rec, "Name"), "");
	assert_true(B(rec, "Anonymous"));
	json_decref(rec);
}

static void test_bind_errors(void **state)
{
	(void)state;
	bind_fails("", EINVAL, "invalid volume specification: ''");
	bind_fails(":/x", EINVAL, "invalid volume specification: ':/x'");
	bind_fails("/a:/b:ro:x", EINVAL, "invalid volume specification: '/a:/b:ro:x'");
	bind_fails("/foo:rw", EINVAL, "invalid volume specification: '/foo:rw'");
	bind_fails("name:", EINVAL, "invalid volume specification: 'name:'");
	bind_fails("/a:/b:rx", EINVAL, "invalid mode: rx");
	bind_fails("/a:/b:ro,rw", EINVAL, "invalid mode: ro,rw");
	bind_fails("/a:/", EINVAL,
		   "invalid volume specification: '/a:/': invalid mount config for type \"bind\": "
		   "invalid specification: destination can't be '/'");
	bind_fails("/a:rel", EINVAL,
		   "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": "
		   "invalid mount path: 'rel' mount path must be absolute");
	bind_fails("/a:/b:nocopy", EINVAL,
		   "invalid volume specification: '/a:/b:nocopy': invalid mount config for type "
		   "\"bind\": field VolumeOptions must not be specified");
	bind_fails("v:/b:rshared", EINVAL,
		   "invalid volume specification: 'v:/b:rshared': invalid mount config for type "
		   "\"volume\": field BindOptions must not be specified");
}

/* Parses the mount.Mount JSON TEXT; returns the record, or NULL with the
 * error's text in MSG. */
static json_t *spec(const char *text, int *code, char msg[512])
{
	json_t *m = json_loads(text, 0, NULL), *rec = NULL;
	berth_error_t err = NULL;

	assert_non_null(m);
	msg[0] = '\0';
	*code = 0;
	if (berth_mount_parse_spec(m, &rec, &err) < 0) {
		*code = berth_error_code(err);
		snprintf(msg, 512, "%s", err->msg);
		berth_error_release(&err);
	}
	json_decref(m);
	return rec;
}

static void test_mount_specs(void **state)
{
	char msg[512];
	int code;
	json_t *rec;

	(void)state;
	rec = spec("{\"Type\":\"bind\",\"Source\":\"/s\",\"Target\":\"/t\",\"ReadOnly\":true,"
		   "\"BindOptions\":{\"Propagation\":\"rslave\",\"CreateMountpoint\":true}}",
		   &code, msg);
	assert_non_null(rec);
	assert_string_equal(S(rec, "Propagation"), "rslave");
	assert_string_equal(S(rec, "Mode"), "");
	assert_false(B(rec, "RW"));
	assert_true(B(rec, "CreateSource"));
	json_decref(rec);
	rec = spec("{\"Type\":\"volume\",\"Target\":\"/v\",\"VolumeOptions\":{\"NoCopy\":true,"
		   "\"Labels\":{\"a\":\"b\"}}}",
		   &code, msg);
	assert_non_null(rec);
	assert_string_equal(S(rec, "Mode"), "z");
	assert_true(B(rec, "Anonymous"));
	assert_false(B(rec, "CopyData"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "VolumeLabels"),
							      "a")),
			    "b");
	json_decref(rec);
	rec = spec("{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":{\"SizeBytes\":"
		   "2097152,\"Mode\":448}}",
		   &code, msg);
	assert_non_null(rec);
	assert_string_equal(S(rec, "TmpfsData"), "mode=700,size=2m");
	json_decref(rec);
	rec = spec("{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"ReadOnly\":true,\"TmpfsOptions\":{"
		   "\"SizeBytes\":1000}}",
		   &code, msg);
	assert_string_equal(S(rec, "TmpfsData"), "ro,size=1000");
	json_decref(rec);
}

static void test_mount_spec_errors(void **state)
{
	static const struct {
		const char *json;
		int code;
		const char *msg;
	} cases[] = {
		{ "{\"Type\":\"bind\",\"Target\":\"/t\"}", EINVAL,
		  "invalid mount config for type \"bind\": field Source must not be empty" },
		{ "{\"Type\":\"bind\",\"Source\":\"/s\"}", EINVAL,
		  "invalid mount config for type \"bind\": field Target must not be empty" },
		{ "{\"Type\":\"bind\",\"Source\":\"rel\",\"Target\":\"/t\"}", EINVAL,
		  "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path "
		  "must be absolute" },
		{ "{\"Type\":\"bind\",\"Source\":\"/s\",\"Target\":\"/t\",\"BindOptions\":{"
		  "\"Propagation\":\"bogus\"}}",
		  EINVAL, "invalid mount config for type \"bind\": invalid propagation mode: bogus" },
		{ "{\"Type\":\"bind\",\"Source\":\"/s\",\"Target\":\"/t\",\"VolumeOptions\":{}}",
		  EINVAL,
		  "invalid mount config for type \"bind\": field VolumeOptions must not be "
		  "specified" },
		{ "{\"Type\":\"volume\",\"Target\":\"/t\",\"ReadOnly\":true}", EINVAL,
		  "invalid mount config for type \"volume\": must not set ReadOnly mode when using "
		  "anonymous volumes" },
		{ "{\"Type\":\"volume\",\"Target\":\"/\"}", EINVAL,
		  "invalid mount config for type \"volume\": invalid specification: destination "
		  "can't be '/'" },
		{ "{\"Type\":\"tmpfs\",\"Source\":\"x\",\"Target\":\"/t\"}", EINVAL,
		  "invalid mount config for type \"tmpfs\": field Source must not be specified" },
		{ "{\"Type\":\"floppy\",\"Target\":\"/t\"}", EINVAL,
		  "invalid mount config for type \"floppy\": mount type unknown" },
		{ "{\"Type\":\"volume\",\"Target\":\"/t\",\"VolumeOptions\":{\"DriverConfig\":{"
		  "\"Name\":\"nfs3\"}}}",
		  ENOENT, "error looking up volume plugin nfs3: plugin \"nfs3\" not found" },
		{ "{\"Type\":\"image\",\"Target\":\"/t\"}", ENOSYS,
		  "mounts of type \"image\" are not implemented" },
	};
	char msg[512];
	size_t i;
	int code;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *rec = spec(cases[i].json, &code, msg);
		assert_null(rec);
		assert_int_equal(code, cases[i].code);
		assert_string_equal(msg, cases[i].msg);
	}
}

static void test_volumes_from(void **state)
{
	berth_error_t err = NULL;
	char *id = NULL;
	bool rw = false;

	(void)state;
	assert_int_equal(berth_mount_parse_volumes_from("data", &id, &rw, NULL), 0);
	assert_string_equal(id, "data");
	assert_true(rw);
	free(id);
	assert_int_equal(berth_mount_parse_volumes_from("abc:ro", &id, &rw, NULL), 0);
	assert_string_equal(id, "abc");
	assert_false(rw);
	free(id);
	assert_true(berth_mount_parse_volumes_from("abc:bogus", &id, &rw, &err) < 0);
	assert_string_equal(err->msg, "invalid mode: bogus");
	berth_error_release(&err);
	assert_true(berth_mount_parse_volumes_from("abc:nocopy", &id, &rw, &err) < 0);
	assert_string_equal(err->msg, "invalid mode for volumes-from: nocopy");
	berth_error_release(&err);
	assert_true(berth_mount_parse_volumes_from("", &id, &rw, &err) < 0);
	berth_error_release(&err);
}

static void opts_fail(const char *text, int code, const char *msg)
{
	json_t *o = json_loads(text, 0, NULL);
	berth_error_t err = NULL;

	failed_with(berth_volume_check_opts(o, &err), &err, code, msg);
	json_decref(o);
}

static void test_volume_names_and_opts(void **state)
{
	json_t *o;
	char *src = NULL, *type = NULL, *data = NULL;
	unsigned long flags = 0;

	(void)state;
	assert_true(berth_volume_name_valid("ab"));
	assert_true(berth_volume_name_valid("my_vol.1-x"));
	assert_false(berth_volume_name_valid("a"));
	assert_false(berth_volume_name_valid("_ab"));
	assert_false(berth_volume_name_valid("a/b"));
	assert_false(berth_volume_name_valid(""));
	assert_false(berth_volume_name_valid(NULL));
	assert_int_equal(berth_volume_check_opts(NULL, NULL), 0);
	opts_fail("{\"foo\":\"x\"}", EINVAL, "invalid option: \"foo\"");
	opts_fail("{\"type\":\"tmpfs\"}", EINVAL, "missing required option: \"device\"");
	opts_fail("{\"device\":\"tmpfs\"}", EINVAL, "missing required option: \"type\"");
	opts_fail("{\"size\":\"1g\"}", EINVAL, "quota size requested but no quota support");
	opts_fail("{\"type\":\"nfs\",\"device\":\":/x\"}", ENOSYS,
		  "local volumes of type \"nfs\" are not implemented: berth mounts type=tmpfs and "
		  "type=none with o=bind");
	opts_fail("{\"type\":\"none\",\"device\":\"rel\",\"o\":\"bind\"}", EINVAL,
		  "invalid device for a bind volume: rel: must be an absolute path");
	o = json_loads("{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=1m,uid=1000,nosuid\"}",
		       0, NULL);
	assert_int_equal(berth_volume_check_opts(o, NULL), 0);
	assert_true(berth_volume_mount_args(o, &src, &type, &flags, &data));
	assert_string_equal(src, "tmpfs");
	assert_string_equal(type, "tmpfs");
	assert_string_equal(data, "size=1m,uid=1000");
	assert_int_equal(flags, MS_NOSUID);
	free(src);
	free(type);
	free(data);
	json_decref(o);
	o = json_loads("{\"type\":\"none\",\"device\":\"/srv\",\"o\":\"bind\"}", 0, NULL);
	assert_int_equal(berth_volume_check_opts(o, NULL), 0);
	assert_true(berth_volume_mount_args(o, &src, &type, &flags, &data));
	assert_null(type);
	assert_null(data);
	assert_int_equal(flags, MS_BIND);
	free(src);
	json_decref(o);
}

static void test_view(void **state)
{
	json_t *rec = NULL, *v;

	(void)state;
	assert_int_equal(berth_mount_parse_bind("/h:/c", &rec, NULL), 0);
	v = berth_mount_view(rec);
	assert_int_equal(json_object_size(v), 6);
	assert_null(json_object_get(v, "CreateSource"));
	assert_null(json_object_get(v, "Name"));
	json_decref(v);
	json_decref(rec);
	assert_int_equal(berth_mount_parse_bind("n1:/c", &rec, NULL), 0);
	v = berth_mount_view(rec);
	assert_int_equal(json_object_size(v), 8);
	assert_string_equal(S(v, "Name"), "n1");
	json_decref(v);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_path),
		cmocka_unit_test(test_bind_forms),
		cmocka_unit_test(test_bind_errors),
		cmocka_unit_test(test_mount_specs),
		cmocka_unit_test(test_mount_spec_errors),
		cmocka_unit_test(test_volumes_from),
		cmocka_unit_test(test_volume_names_and_opts),
		cmocka_unit_test(test_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
