/* seccomp_profile.c: docker's default seccomp profile.
 *
 * The rule list is moby's profiles/seccomp/default.json (the syscall names
 * per rule are facts about docker's behaviour, reproduced as data). It is
 * rendered as moby's setupSeccomp does: only the native architecture and
 * its sub-architectures are listed, and a rule is kept when its `includes`
 * all hold (arch, every cap present, kernel at least minKernel) and none of
 * its `excludes` does (arch, any cap present). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/cleanup.h"
#include "runtime/linux/seccomp.h"

struct profile_arg {
	unsigned index;
	uint64_t value;
	uint64_t value_two;
	const char *op;
};

struct profile_rule {
	const char *const *names; /* NULL-terminated, as the lists below */
	const char *action;
	int errno_ret; /* -1: none given */
	const struct profile_arg *args;
	size_t n_args;
	const char *const *inc_arches;
	const char *const *inc_caps;
	const char *min_kernel;
	const char *const *exc_arches;
	const char *const *exc_caps;
};

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ARGS(...)  ((const struct profile_arg[]){ __VA_ARGS__ })

static const struct profile_rule rules[] = {
	{ .names = NAMES(
	      "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
	      "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
	      "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
	      "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
	      "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
	      "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	      "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
	      "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
	      "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
	      "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
	      "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
	      "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
	      "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
	      "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
	      "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
	      "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
	      "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
	      "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
	      "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
	      "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
	      "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
	      "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
	      "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
	      "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
	      "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek",
	      "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
	      "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
	      "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
	      "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	      "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
	      "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
	      "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
	      "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
	      "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64",
	      "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
	      "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
	      "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
	      "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
	      "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
	      "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	      "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
	      "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
	      "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	      "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
	      "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
	      "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg",
	      "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
	      "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
	      "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
	      "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
	      "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "setxattrat",
	      "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	      "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
	      "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync",
	      "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	      "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
	      "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
	      "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
	      "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
	      "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
	      "wait4", "waitid", "waitpid", "write", "writev"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1 },
	{ .names = NAMES("process_vm_readv", "process_vm_writev", "ptrace"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .min_kernel = "4.8" },
	{ .names = NAMES("socket"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 38ULL, 0ULL, "SCMP_CMP_LT" }),
	  .n_args = 1 },
	{ .names = NAMES("socket"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 39ULL, 0ULL, "SCMP_CMP_EQ" }),
	  .n_args = 1 },
	{ .names = NAMES("socket"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 40ULL, 0ULL, "SCMP_CMP_GT" }),
	  .n_args = 1 },
	{ .names = NAMES("personality"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 0ULL, 0ULL, "SCMP_CMP_EQ" }),
	  .n_args = 1 },
	{ .names = NAMES("personality"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 8ULL, 0ULL, "SCMP_CMP_EQ" }),
	  .n_args = 1 },
	{ .names = NAMES("personality"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 131072ULL, 0ULL, "SCMP_CMP_EQ" }),
	  .n_args = 1 },
	{ .names = NAMES("personality"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 131080ULL, 0ULL, "SCMP_CMP_EQ" }),
	  .n_args = 1 },
	{ .names = NAMES("personality"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 4294967295ULL, 0ULL, "SCMP_CMP_EQ" }),
	  .n_args = 1 },
	{ .names = NAMES("sync_file_range2", "swapcontext"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_arches = NAMES("ppc64le") },
	{ .names = NAMES("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
			 "breakpoint", "cacheflush", "set_tls"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_arches = NAMES("arm", "arm64") },
	{ .names = NAMES("arch_prctl"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_arches = NAMES("amd64", "x32") },
	{ .names = NAMES("modify_ldt"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_arches = NAMES("amd64", "x32", "x86") },
	{ .names = NAMES("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_arches = NAMES("s390", "s390x") },
	{ .names = NAMES("riscv_flush_icache"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_arches = NAMES("riscv64") },
	{ .names = NAMES("open_by_handle_at"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_DAC_READ_SEARCH") },
	{ .names = NAMES("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
			 "fspick", "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules",
			 "lsm_set_self_attr", "mount", "mount_setattr", "move_mount", "open_tree",
			 "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
			 "sethostname", "setns", "syslog", "umount", "umount2", "unshare"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_ADMIN") },
	{ .names = NAMES("clone"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 0, 2114060288ULL, 0ULL, "SCMP_CMP_MASKED_EQ" }),
	  .n_args = 1,
	  .exc_arches = NAMES("s390", "s390x"),
	  .exc_caps = NAMES("CAP_SYS_ADMIN") },
	{ .names = NAMES("clone"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .args = ARGS({ 1, 2114060288ULL, 0ULL, "SCMP_CMP_MASKED_EQ" }),
	  .n_args = 1,
	  .inc_arches = NAMES("s390", "s390x"),
	  .exc_caps = NAMES("CAP_SYS_ADMIN") },
	{ .names = NAMES("clone3"),
	  .action = "SCMP_ACT_ERRNO",
	  .errno_ret = 38,
	  .exc_caps = NAMES("CAP_SYS_ADMIN") },
	{ .names = NAMES("reboot"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_BOOT") },
	{ .names = NAMES("chroot"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_CHROOT") },
	{ .names = NAMES("delete_module", "init_module", "finit_module"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_MODULE") },
	{ .names = NAMES("acct"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_PACCT") },
	{ .names = NAMES("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
			 "process_vm_writev", "ptrace"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_PTRACE") },
	{ .names = NAMES("iopl", "ioperm"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_RAWIO") },
	{ .names = NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_TIME") },
	{ .names = NAMES("vhangup"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_TTY_CONFIG") },
	{ .names = NAMES("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYS_NICE") },
	{ .names = NAMES("syslog"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_SYSLOG") },
	{ .names = NAMES("bpf"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_BPF") },
	{ .names = NAMES("perf_event_open"),
	  .action = "SCMP_ACT_ALLOW",
	  .errno_ret = -1,
	  .inc_caps = NAMES("CAP_PERFMON") },
};

/* moby's archMap: the filter covers these together. */
struct arch_group {
	const char *native; /* moby's (GOARCH-derived) name */
	const char *const *arches;
};

static const struct arch_group arch_groups[] = {
	{ "amd64", NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32") },
	{ "arm64", NAMES("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM") },
	{ "mips64", NAMES("SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32") },
	{ "mips64n32", NAMES("SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64") },
	{ "mipsel64", NAMES("SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32") },
	{ "s390x", NAMES("SCMP_ARCH_S390X", "SCMP_ARCH_S390") },
	{ "riscv64", NAMES("SCMP_ARCH_RISCV64") },
	{ "loongarch64", NAMES("SCMP_ARCH_LOONGARCH64") },
};

/* The build's architecture, spelled as moby's rules spell it. */
static const char *native_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__i386__)
	return "x86";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__s390__)
	return "s390";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__powerpc64__)
	return "ppc64";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__loongarch64)
	return "loongarch64";
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "mipsel64";
#elif defined(__mips64)
	return "mips64";
#else
	return "unknown";
#endif
}

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool has_cap(const json_t *caps, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach (caps, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

/* Whether the running kernel is at least "MAJOR.MINOR". */
static bool kernel_at_least(const char *version)
{
	struct utsname u;
	int want_major = 0, want_minor = 0, major = 0, minor = 0;

	if (sscanf(version, "%d.%d", &want_major, &want_minor) < 1)
		return false;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) < 1)
		return false;
	return major > want_major || (major == want_major && minor >= want_minor);
}

static bool rule_applies(const struct profile_rule *r, const char *arch, const json_t *caps)
{
	const char *const *c;

	if (r->exc_arches && in_list(r->exc_arches, arch))
		return false;
	for (c = r->exc_caps; c && *c; c++)
		if (has_cap(caps, *c))
			return false;
	if (r->inc_arches && !in_list(r->inc_arches, arch))
		return false;
	for (c = r->inc_caps; c && *c; c++)
		if (!has_cap(caps, *c))
			return false;
	return r->min_kernel == NULL || kernel_at_least(r->min_kernel);
}

static json_t *render_rule(const struct profile_rule *r)
{
	json_t *names = json_array(), *o;
	const char *const *n;
	size_t i;

	for (n = r->names; *n; n++)
		json_array_append_new(names, json_string(*n));
	o = json_pack("{s:o,s:s}", "names", names, "action", r->action);
	if (r->errno_ret >= 0)
		json_object_set_new(o, "errnoRet", json_integer(r->errno_ret));
	if (r->n_args > 0) {
		json_t *args = json_array();

		for (i = 0; i < r->n_args; i++)
			json_array_append_new(
			    args,
			    json_pack("{s:I,s:I,s:I,s:s}", "index", (json_int_t)r->args[i].index,
				      "value", (json_int_t)r->args[i].value, "valueTwo",
				      (json_int_t)r->args[i].value_two, "op", r->args[i].op));
		json_object_set_new(o, "args", args);
	}
	return o;
}

json_t *berth_seccomp_default_profile(const json_t *caps)
{
	const char *arch = native_arch();
	json_t *arches = json_array(), *syscalls = json_array();
	const char *const *a;
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(arch_groups); i++) {
		if (strcmp(arch_groups[i].native, arch) != 0)
			continue;
		for (a = arch_groups[i].arches; *a; a++)
			json_array_append_new(arches, json_string(*a));
	}
	for (i = 0; i < BERTH_ARRAY_SIZE(rules); i++)
		if (rule_applies(&rules[i], arch, caps))
			json_array_append_new(syscalls, render_rule(&rules[i]));
	return json_pack("{s:s,s:i,s:o,s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
			 1, "architectures", arches, "syscalls", syscalls);
}
