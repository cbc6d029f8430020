/* test_caps.c: capability sets, applied in forked children and read back
 * from their /proc/self/status. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "runtime/linux/caps.h"

/* The masks a child reads from its /proc/self/status. */
struct caps_read {
	int ret; /* berth_caps_apply's result, or -1000 for a child failure */
	int code;
	uint64_t bnd, eff, prm, inh, amb;
};

static uint64_t status_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	if (p == NULL)
		return UINT64_MAX;
	return strtoull(p + strlen(key), NULL, 16);
}

static void read_status(struct caps_read *r)
{
	char buf[8192];
	ssize_t n, len = 0;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		r->ret = -1000;
		return;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	r->bnd = status_field(buf, "CapBnd:");
	r->eff = status_field(buf, "CapEff:");
	r->prm = status_field(buf, "CapPrm:");
	r->inh = status_field(buf, "CapInh:");
	r->amb = status_field(buf, "CapAmb:");
}

/* Forks; the child optionally switches to UID (keeping caps), applies CAPS
 * and reports what it has. */
static struct caps_read apply_in_child(const json_t *caps, uid_t uid)
{
	struct caps_read r = { 0 };
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		berth_error_t err = NULL;

		close(p[0]);
		if (uid != 0) {
			if (berth_caps_prepare_user_switch(&err) < 0 ||
			    setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
				r.ret = -1000;
		}
		if (r.ret == 0) {
			r.ret = berth_caps_apply(caps, &err);
			r.code = berth_error_code(err);
		}
		read_status(&r);
		if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return r;
}

static uint64_t mask_of(const json_t *names)
{
	const json_t *v;
	uint64_t m = 0;
	size_t i;

	json_array_foreach (names, i, v) {
		int n = berth_caps_number(json_string_value(v));
		assert_true(n >= 0);
		m |= UINT64_C(1) << n;
	}
	return m;
}

static int need_root(void)
{
	if (geteuid() != 0 || prctl(PR_CAPBSET_READ, 8 /* CAP_SETPCAP */, 0, 0, 0) != 1) {
		print_message("skipped: needs root with CAP_SETPCAP\n");
		return -1;
	}
	return 0;
}

static json_t *caps_object(json_t *set, json_t *ambient)
{
	return json_pack("{s:O,s:O,s:O,s:O,s:o}", "bounding", set, "effective", set, "permitted",
			 set, "inheritable", set, "ambient", ambient ? ambient : json_array());
}

static void test_default_set(void **state)
{
	json_t *d = berth_caps_default();
	const char *want[] = {
		"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	   "CAP_FOWNER",
		"CAP_MKNOD",   "CAP_NET_RAW",	   "CAP_SETGID",	   "CAP_SETUID",
		"CAP_SETFCAP", "CAP_SETPCAP",	   "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
		"CAP_KILL",    "CAP_AUDIT_WRITE"
	};
	size_t i;

	assert_int_equal(json_array_size(d), 14);
	for (i = 0; i < BERTH_ARRAY_SIZE(want); i++)
		assert_string_equal(json_string_value(json_array_get(d, i)), want[i]);
	json_decref(d);
}

static void test_numbers_and_all(void **state)
{
	json_t *all = berth_caps_all();

	assert_int_equal(berth_caps_number("CAP_CHOWN"), 0);
	assert_int_equal(berth_caps_number("CAP_SYS_ADMIN"), 21);
	assert_int_equal(berth_caps_number("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(berth_caps_number("CAP_NOPE"), -1);
	assert_int_equal(berth_caps_number("cap_chown"), -1);
	assert_int_equal(berth_caps_number("0"), -1);
	assert_int_equal(berth_caps_number(""), -1);
	assert_true(json_array_size(all) >= 38);
	assert_string_equal(json_string_value(json_array_get(all, 21)), "CAP_SYS_ADMIN");
	json_decref(all);
}

/* Parsing comes before any change, so a bad name leaves the caller as it
 * was: this runs in the test process itself. */
static void test_bad_input(void **state)
{
	berth_error_t err = NULL;
	json_t *o = json_pack("{s:[s,s]}", "bounding", "CAP_CHOWN", "CAP_BOGUS");

	assert_true(berth_caps_apply(o, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	assert_non_null(strstr(err->msg, "`CAP_BOGUS`"));
	berth_error_release(&err);
	json_decref(o);
	o = json_pack("{s:s}", "effective", "CAP_CHOWN");
	assert_true(berth_caps_apply(o, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	berth_error_release(&err);
	json_decref(o);
	o = json_pack("{s:[i]}", "effective", 3);
	assert_true(berth_caps_apply(o, &err) < 0);
	berth_error_release(&err);
	json_decref(o);
	assert_int_equal(berth_caps_apply(NULL, &err), 0);
	assert_null(err);
}

static void test_apply_default_as_root(void **state)
{
	json_t *d, *o;
	struct caps_read r;
	uint64_t m;

	if (need_root() < 0) {
		skip();
		return;
	}
	d = berth_caps_default();
	m = mask_of(d);
	o = caps_object(d, NULL);
	r = apply_in_child(o, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.bnd, m);
	assert_int_equal(r.eff, m);
	assert_int_equal(r.prm, m);
	assert_int_equal(r.inh, m);
	assert_int_equal(r.amb, 0);
	json_decref(o);
	json_decref(d);
}

/* An empty object drops everything, the bounding set included. */
static void test_apply_empty(void **state)
{
	json_t *o;
	struct caps_read r;

	if (need_root() < 0) {
		skip();
		return;
	}
	o = json_object();
	r = apply_in_child(o, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.bnd, 0);
	assert_int_equal(r.eff, 0);
	assert_int_equal(r.prm, 0);
	json_decref(o);
}

/* A non-root user keeps its caps across setresuid() with the prepare
 * call, and an ambient cap is raised. */
static void test_apply_after_user_switch(void **state)
{
	json_t *d, *o;
	struct caps_read r;
	uint64_t m;

	if (need_root() < 0) {
		skip();
		return;
	}
	d = berth_caps_default();
	m = mask_of(d);
	o = caps_object(d, json_pack("[s]", "CAP_NET_BIND_SERVICE"));
	r = apply_in_child(o, 1000);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.bnd, m);
	assert_int_equal(r.eff, m);
	assert_int_equal(r.prm, m);
	assert_int_equal(r.amb, UINT64_C(1) << 10);
	json_decref(o);
	json_decref(d);
}

/* An ambient cap must be permitted and inheritable: EPERM otherwise. */
static void test_ambient_needs_inheritable(void **state)
{
	json_t *o;
	struct caps_read r;

	if (need_root() < 0) {
		skip();
		return;
	}
	o = json_pack("{s:[s],s:[s],s:[s],s:[s]}", "bounding", "CAP_KILL", "effective", "CAP_KILL",
		      "permitted", "CAP_KILL", "ambient", "CAP_KILL");
	r = apply_in_child(o, 0);
	assert_true(r.ret < 0);
	assert_int_equal(r.code, EPERM);
	json_decref(o);
}

/* Sets differ: bounding wider than effective (docker's sets are equal, but
 * OCI allows it). */
static void test_apply_distinct_sets(void **state)
{
	json_t *o;
	struct caps_read r;

	if (need_root() < 0) {
		skip();
		return;
	}
	o = json_pack("{s:[s,s,s],s:[s],s:[s,s],s:[]}", "bounding", "CAP_KILL", "CAP_CHOWN",
		      "CAP_SYS_ADMIN", "effective", "CAP_KILL", "permitted", "CAP_KILL",
		      "CAP_CHOWN", "inheritable");
	r = apply_in_child(o, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.bnd, (UINT64_C(1) << 5) | 1 | (UINT64_C(1) << 21));
	assert_int_equal(r.eff, UINT64_C(1) << 5);
	assert_int_equal(r.prm, (UINT64_C(1) << 5) | 1);
	assert_int_equal(r.inh, 0);
	json_decref(o);
}

/* A cap the test process lacks (CAP_SYS_RESOURCE on the project's
 * machines) is skipped rather than failing the whole set. */
static void test_unheld_cap_skipped(void **state)
{
	json_t *all, *o;
	struct caps_read r, now = { 0 };

	if (need_root() < 0) {
		skip();
		return;
	}
	read_status(&now);
	all = berth_caps_all();
	o = caps_object(all, NULL);
	r = apply_in_child(o, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.eff, now.prm & mask_of(all));
	assert_int_equal(r.prm, now.prm & mask_of(all));
	assert_int_equal(r.bnd, now.bnd & mask_of(all));
	json_decref(o);
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_set),
		cmocka_unit_test(test_numbers_and_all),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_apply_default_as_root),
		cmocka_unit_test(test_apply_empty),
		cmocka_unit_test(test_apply_after_user_switch),
		cmocka_unit_test(test_ambient_needs_inheritable),
		cmocka_unit_test(test_apply_distinct_sets),
		cmocka_unit_test(test_unheld_cap_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
