/* test_seccomp.c: docker's default profile and OCI seccomp objects, loaded
 * in forked children that probe syscalls with raw syscall(2) calls and
 * report the results through a pipe. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "runtime/linux/seccomp.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif

#define MAX_PROBES 16

/* What a child saw: per probe the return value and errno. */
struct probes {
	int apply_ret;
	int n;
	long ret[MAX_PROBES];
	int err[MAX_PROBES];
};

typedef void (*probe_fn)(struct probes *p);

static void record(struct probes *p, long ret)
{
	if (p->n >= MAX_PROBES)
		return;
	p->err[p->n] = ret < 0 ? errno : 0;
	p->ret[p->n++] = ret;
}

/* Forks a child that sets no_new_privileges, loads PROFILE and runs FN.
 * Returns the wait status; *OUT gets the probes when the child lived. */
static int run_child(const json_t *profile, probe_fn fn, struct probes *out)
{
	struct probes p = { 0 };
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		berth_error_t err = NULL;

		close(fds[0]);
		/* cmocka catches SIGSYS to report a test crash: the child must
		 * die of it instead, and leave no core file */
		signal(SIGSYS, SIG_DFL);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		p.apply_ret = berth_seccomp_apply(profile, &err);
		if (p.apply_ret == 0)
			fn(&p);
		if (write(fds[1], &p, sizeof(p)) != (ssize_t)sizeof(p))
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	memset(out, 0, sizeof(*out));
	if (read(fds[0], out, sizeof(*out)) != (ssize_t)sizeof(*out))
		out->apply_ret = -1000;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static bool rule_has(const json_t *rule, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach (json_object_get(rule, "names"), i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

/* Whether PROFILE allows NAME unconditionally. */
static bool allows(const json_t *profile, const char *name)
{
	const json_t *r;
	size_t i;

	json_array_foreach (json_object_get(profile, "syscalls"), i, r)
		if (rule_has(r, name) && json_object_get(r, "args") == NULL &&
		    strcmp(json_string_value(json_object_get(r, "action")), "SCMP_ACT_ALLOW") == 0)
			return true;
	return false;
}

static const json_t *rule_for(const json_t *profile, const char *name, const char *action)
{
	const json_t *r;
	size_t i;

	json_array_foreach (json_object_get(profile, "syscalls"), i, r)
		if (rule_has(r, name) &&
		    strcmp(json_string_value(json_object_get(r, "action")), action) == 0)
			return r;
	return NULL;
}

static json_t *default_profile(const char *extra_cap)
{
	json_t *caps = json_pack("[s,s,s]", "CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_KILL");
	json_t *p;

	if (extra_cap)
		json_array_append_new(caps, json_string(extra_cap));
	p = berth_seccomp_default_profile(caps);
	json_decref(caps);
	return p;
}

static void test_default_profile_shape(void **state)
{
	json_t *p = default_profile(NULL), *admin = default_profile("CAP_SYS_ADMIN");
	const json_t *r, *arches = json_object_get(p, "architectures");

	assert_string_equal(json_string_value(json_object_get(p, "defaultAction")),
			    "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), 1);
#if defined(__x86_64__)
	assert_int_equal(json_array_size(arches), 3);
	assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_X86_64");
	assert_string_equal(json_string_value(json_array_get(arches, 1)), "SCMP_ARCH_X86");
	assert_string_equal(json_string_value(json_array_get(arches, 2)), "SCMP_ARCH_X32");
	assert_true(allows(p, "arch_prctl"));
	assert_true(allows(p, "modify_ldt"));
#elif defined(__aarch64__)
	assert_int_equal(json_array_size(arches), 2);
	assert_string_equal(json_string_value(json_array_get(arches, 0)), "SCMP_ARCH_AARCH64");
	assert_string_equal(json_string_value(json_array_get(arches, 1)), "SCMP_ARCH_ARM");
	assert_false(allows(p, "arch_prctl"));
#endif
	assert_true(allows(p, "read"));
	assert_true(allows(p, "getpid"));
	assert_true(allows(p, "chroot")); /* CAP_SYS_CHROOT is in the list */
	assert_false(allows(p, "mount"));
	assert_false(allows(p, "unshare"));
	assert_false(allows(p, "init_module"));
	assert_false(allows(p, "reboot"));
	assert_false(allows(p, "s390_runtime_instr"));
	/* clone3 is ENOSYS so that glibc falls back to clone */
	r = rule_for(p, "clone3", "SCMP_ACT_ERRNO");
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "errnoRet")), ENOSYS);
	r = rule_for(p, "clone", "SCMP_ACT_ALLOW");
	assert_non_null(r);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(r, "args"), 0), "op")),
	    "SCMP_CMP_MASKED_EQ");
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(r, "args"), 0), "value")),
			 0x7E020000);
	/* CAP_SYS_ADMIN opens the namespace and mount syscalls */
	assert_true(allows(admin, "mount"));
	assert_true(allows(admin, "unshare"));
	assert_true(allows(admin, "setns"));
	assert_true(allows(admin, "clone"));
	assert_null(rule_for(admin, "clone3", "SCMP_ACT_ERRNO"));
	json_decref(p);
	json_decref(admin);
}

static void test_default_profile_builds(void **state)
{
	berth_error_t err = NULL;
	json_t *p = default_profile(NULL);

	assert_true(berth_seccomp_check(p, &err) > 300);
	assert_null(err);
	json_decref(p);
}

static void probe_default(struct probes *p)
{
	record(p, syscall(SYS_mount, "none", "/berth-no-such-dir", "tmpfs", 0, NULL));
	record(p, syscall(SYS_unshare, 0));
	record(p, syscall(SYS_init_module, NULL, 0, ""));
	record(p, syscall(__NR_clone3, NULL, 0));
	record(p, syscall(SYS_getpid));
	record(p, syscall(SYS_personality, 0xffffffffUL));
	record(p, syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0));
	record(p, syscall(SYS_personality, 0x0040000UL)); /* READ_IMPLIES_EXEC */
	record(p, syscall(SYS_setns, -1, 0));
	record(p, syscall(SYS_clone, (unsigned long)0x10000000 /* CLONE_NEWUSER */, NULL, NULL,
			  NULL, NULL));
}

static void test_default_profile_loaded(void **state)
{
	json_t *prof = default_profile(NULL);
	struct probes p;
	int status = run_child(prof, probe_default, &p);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p.apply_ret, 0);
	assert_int_equal(p.n, 10);
	assert_int_equal(p.err[0], EPERM);  /* mount */
	assert_int_equal(p.err[1], EPERM);  /* unshare */
	assert_int_equal(p.err[2], EPERM);  /* init_module */
	assert_int_equal(p.err[3], ENOSYS); /* clone3 */
	assert_true(p.ret[4] > 0);	    /* getpid */
	assert_true(p.ret[5] >= 0);	    /* personality query */
	assert_int_equal(p.err[6], EPERM);  /* AF_VSOCK */
	assert_int_equal(p.err[7], EPERM);  /* a personality docker refuses */
	assert_int_equal(p.err[8], EPERM);  /* setns */
	assert_int_equal(p.err[9], EPERM);  /* clone with a namespace flag */
	json_decref(prof);
}

/* fork() (clone without namespace flags) and execve still work. */
static void probe_fork(struct probes *p)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(7);
	record(p, pid);
	record(p, pid > 0 ? waitpid(pid, &status, 0) : -1);
	record(p, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void test_default_profile_fork(void **state)
{
	json_t *prof = default_profile(NULL);
	struct probes p;
	int status = run_child(prof, probe_fork, &p);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p.apply_ret, 0);
	assert_true(p.ret[0] > 0);
	assert_int_equal(p.ret[1], p.ret[0]);
	assert_int_equal(p.ret[2], 7);
	json_decref(prof);
}

static void probe_admin(struct probes *p)
{
	record(p, syscall(SYS_mount, "none", "/berth-no-such-dir", "tmpfs", 0, NULL));
	record(p, syscall(SYS_unshare, 0));
	record(p, syscall(SYS_init_module, NULL, 0, ""));
}

/* With CAP_SYS_ADMIN the filter lets mount through: the kernel answers
 * ENOENT for the missing target instead of the filter's EPERM. */
static void test_admin_profile_loaded(void **state)
{
	json_t *prof = default_profile("CAP_SYS_ADMIN");
	struct probes p;
	int status;

	if (geteuid() != 0) {
		print_message("skipped: needs root (CAP_SYS_ADMIN for the probes)\n");
		json_decref(prof);
		skip();
		return;
	}
	status = run_child(prof, probe_admin, &p);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p.apply_ret, 0);
	assert_int_equal(p.err[0], ENOENT);
	assert_int_equal(p.ret[1], 0);
	assert_int_equal(p.err[2], EPERM);
	json_decref(prof);
}

static void probe_dup(struct probes *p)
{
	record(p, syscall(SYS_dup, 100));
	record(p, syscall(SYS_dup, 0x105));
	record(p, syscall(SYS_dup, 200));
	record(p, syscall(SYS_dup, 201));
	record(p, syscall(SYS_dup, 202));
	record(p, syscall(SYS_getppid));
}

/* Argument filters: EQ, MASKED_EQ (value = mask, valueTwo = datum), and
 * one argument compared twice (split into rules: either matches). */
static void test_argument_rules(void **state)
{
	json_t *prof = json_pack(
	    "{s:s,s:[{s:[s],s:s,s:i,s:[{s:i,s:i,s:s}]},"
	    "{s:[s],s:s,s:i,s:[{s:i,s:i,s:i,s:s}]},"
	    "{s:[s],s:s,s:i,s:[{s:i,s:i,s:s},{s:i,s:i,s:s}]}]}",
	    "defaultAction", "SCMP_ACT_ALLOW", "syscalls", "names", "dup", "action",
	    "SCMP_ACT_ERRNO", "errnoRet", 99, "args", "index", 0, "value", 100, "op", "SCMP_CMP_EQ",
	    "names", "dup", "action", "SCMP_ACT_ERRNO", "errnoRet", 98, "args", "index", 0, "value",
	    0xff00, "valueTwo", 0x100, "op", "SCMP_CMP_MASKED_EQ", "names", "dup", "action",
	    "SCMP_ACT_ERRNO", "errnoRet", 77, "args", "index", 0, "value", 200, "op", "SCMP_CMP_EQ",
	    "index", 0, "value", 201, "op", "SCMP_CMP_EQ");
	struct probes p;
	int status = run_child(prof, probe_dup, &p);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p.apply_ret, 0);
	assert_int_equal(p.err[0], 99);
	assert_int_equal(p.err[1], 98);
	assert_int_equal(p.err[2], 77);
	assert_int_equal(p.err[3], 77);
	assert_int_equal(p.err[4], EBADF);
	assert_true(p.ret[5] > 0);
	json_decref(prof);
}

static void probe_getppid(struct probes *p)
{
	record(p, syscall(SYS_getppid));
}

static int run_single_action(const char *action)
{
	json_t *prof = json_pack("{s:s,s:[{s:[s],s:s}]}", "defaultAction", "SCMP_ACT_ALLOW",
				 "syscalls", "names", "getppid", "action", action);
	struct probes p;
	int status = run_child(prof, probe_getppid, &p);

	json_decref(prof);
	return status;
}

static void test_actions(void **state)
{
	int status;

	status = run_single_action("SCMP_ACT_TRAP");
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
	status = run_single_action("SCMP_ACT_KILL_PROCESS");
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
	status = run_single_action("SCMP_ACT_LOG");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void probe_acct(struct probes *p)
{
	record(p, syscall(SYS_acct, NULL));
}

/* The default action's errno: defaultErrnoRet when given, EPERM without
 * it. TRACE without a tracer is ENOSYS from the kernel. */
static void test_default_errno_and_trace(void **state)
{
	json_t *prof = default_profile(NULL);
	json_t *trace = json_pack("{s:s,s:[{s:[s],s:s}]}", "defaultAction", "SCMP_ACT_ALLOW",
				  "syscalls", "names", "getppid", "action", "SCMP_ACT_TRACE");
	struct probes p;
	int status;

	json_object_set_new(prof, "defaultErrnoRet", json_integer(EACCES));
	status = run_child(prof, probe_acct, &p);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p.err[0], EACCES);
	json_object_del(prof, "defaultErrnoRet");
	status = run_child(prof, probe_acct, &p);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p.err[0], EPERM);
	status = run_child(trace, probe_getppid, &p);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p.err[0], ENOSYS);
	json_decref(prof);
	json_decref(trace);
}

static void expect_invalid(const char *json_text, const char *needle)
{
	berth_error_t err = NULL;
	json_t *o = json_loads(json_text, 0, NULL);

	assert_non_null(o);
	assert_true(berth_seccomp_check(o, &err) < 0);
	assert_int_equal(berth_error_code(err), EINVAL);
	if (needle && strstr(err->msg, needle) == NULL)
		fail_msg("`%s` not in `%s`", needle, err->msg);
	berth_error_release(&err);
	json_decref(o);
}

static void test_invalid_objects(void **state)
{
	expect_invalid("[]", "not an object");
	expect_invalid("{}", "defaultAction");
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "SCMP_ACT_NOPE");
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "agent");
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}", NULL);
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_Z\"]}",
		       "SCMP_ARCH_Z");
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"flags\":[\"X\"]}", "flag");
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		       "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
		       "\"op\":\"SCMP_CMP_XX\"}]}]}",
		       "SCMP_CMP_XX");
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
		       "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"value\":1,"
		       "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		       "argument");
	expect_invalid("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":\"read\","
		       "\"action\":\"SCMP_ACT_ALLOW\"}]}",
		       "names");
	expect_invalid(
	    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"]}]}",
	    "action");
}

/* Unknown syscall names are skipped, and so are rules that repeat the
 * default action; NULL is unconfined. */
static void test_skips(void **state)
{
	berth_error_t err = NULL;
	json_t *o = json_loads("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
			       "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\"],\"syscalls\":["
			       "{\"names\":[\"no_such_syscall_42\",\"read\"],\"action\":"
			       "\"SCMP_ACT_ALLOW\"},{\"names\":[\"write\"],\"action\":"
			       "\"SCMP_ACT_ERRNO\"},{\"names\":[\"close\"],\"action\":"
			       "\"SCMP_ACT_ERRNO\",\"errnoRet\":5}]}",
			       0, NULL);

	assert_non_null(o);
	assert_int_equal(berth_seccomp_check(o, &err), 2);
	assert_null(err);
	assert_int_equal(berth_seccomp_apply(NULL, &err), 0);
	json_decref(o);
}

static bool in_array(const json_t *a, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach (a, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void test_features(void **state)
{
	json_t *f = berth_seccomp_features();

	assert_true(json_is_true(json_object_get(f, "enabled")));
	assert_true(in_array(json_object_get(f, "actions"), "SCMP_ACT_ERRNO"));
	assert_false(in_array(json_object_get(f, "actions"), "SCMP_ACT_NOTIFY"));
	assert_true(in_array(json_object_get(f, "operators"), "SCMP_CMP_MASKED_EQ"));
	assert_true(in_array(json_object_get(f, "archs"), "SCMP_ARCH_X86_64"));
	assert_true(in_array(json_object_get(f, "archs"), "SCMP_ARCH_AARCH64"));
	assert_true(in_array(json_object_get(f, "knownFlags"), "SECCOMP_FILTER_FLAG_LOG"));
	assert_true(in_array(json_object_get(f, "supportedFlags"), "SECCOMP_FILTER_FLAG_LOG"));
	json_decref(f);
}

/* A compiled program, saved and read back, blocks what apply blocks. */
static void test_compiled(void **state)
{
	char path[] = "/tmp/berth-seccomp-test.XXXXXX";
	json_t *prof = default_profile(NULL);
	struct berth_seccomp_bpf a = { 0 }, b = { 0 };
	berth_error_t err = NULL;
	int fds[2], status, fd;
	pid_t pid;
	long r[2];

	(void)state;
	assert_int_equal(berth_seccomp_compile(prof, &a, &err), 1);
	assert_null(err);
	assert_true(a.len > 100);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, a.insns, a.len * 8), (ssize_t)(a.len * 8));
	close(fd);
	assert_true(berth_seccomp_read_bpf(path, &b));
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.insns, b.insns, a.len * 8);
	berth_seccomp_bpf_release(&b);
	/* not whole instructions: refused */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_false(berth_seccomp_read_bpf(path, &b));
	unlink(path);
	assert_false(berth_seccomp_read_bpf(path, &b));
	/* flags: only libseccomp's own load can honour them */
	json_object_set_new(prof, "flags", json_pack("[s]", "SECCOMP_FILTER_FLAG_LOG"));
	assert_int_equal(berth_seccomp_compile(prof, &b, &err), 0);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSYS, SIG_DFL);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (berth_seccomp_load_bpf(&a, &err) < 0)
			_exit(2);
		r[0] = syscall(SYS_mount, "none", "/berth-no-such-dir", "tmpfs", 0, NULL) < 0 ? errno
											: 0;
		r[1] = syscall(SYS_getpid) > 0;
		if (write(fds[1], r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], r, sizeof(r)), (ssize_t)sizeof(r));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(r[0], EPERM);
	assert_int_equal(r[1], 1);
	berth_seccomp_bpf_release(&a);
	json_decref(prof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_profile_shape),
		cmocka_unit_test(test_default_profile_builds),
		cmocka_unit_test(test_default_profile_loaded),
		cmocka_unit_test(test_default_profile_fork),
		cmocka_unit_test(test_admin_profile_loaded),
		cmocka_unit_test(test_argument_rules),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_default_errno_and_trace),
		cmocka_unit_test(test_invalid_objects),
		cmocka_unit_test(test_skips),
		cmocka_unit_test(test_compiled),
		cmocka_unit_test(test_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
