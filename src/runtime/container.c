/* container.c: the parent's side of creating a container or an exec'd
 * process: preparation, one fork, placement in the cgroup, and the sync
 * conversation with the child (child.c) until it blocks on the exec FIFO
 * or its program runs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "runtime/linux/cgroup.h"
#include "runtime/runtime_internal.h"

void berth_runtime_opts_init(struct berth_runtime_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->stdio[0] = opts->stdio[1] = opts->stdio[2] = -1;
	opts->console_socket = -1;
}

void berth_runtime_proc_release(struct berth_runtime_proc *p)
{
	if (p == NULL)
		return;
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->pty_master >= 0)
		close(p->pty_master);
	berth_cgroup_free(p->cgroup);
	p->pidfd = p->pty_master = -1;
	p->cgroup = NULL;
}

/* ------------------------------------------------------------ the fork */

struct create_ctx {
	const struct berth_spec *spec;
	const struct berth_runtime_opts *opts;
	struct berth_rt_child child;
	int parent_sync; /* our end */
	pid_t pid;
	struct berth_cgroup *cgroup;
	bool cgroup_entered; /* born in it (CLONE_INTO_CGROUP) */
	char rootfs[PATH_MAX];
	bool saw_exec;
};

static void ctx_close(struct create_ctx *x)
{
	int k;

	for (k = 0; k < BERTH_NS_COUNT; k++)
		if (x->child.ns_fds[k] >= 0)
			close(x->child.ns_fds[k]);
	if (x->child.sync_fd >= 0)
		close(x->child.sync_fd);
	if (x->child.fifo_fd >= 0)
		close(x->child.fifo_fd);
	if (x->child.dmz_fd >= 0)
		close(x->child.dmz_fd);
	if (x->parent_sync >= 0)
		close(x->parent_sync);
	berth_seccomp_bpf_release(&x->child.bpf);
}

/* pid_for_children: a new pid namespace, the one at PATH, or ours. The
 * caller returns to OWN (an fd of its own) right after the fork. */
static int pidns_for_child(const struct berth_spec *spec, int join_fd, int *own, berth_error_t *err)
{
	*own = -1;
	if (!spec->ns[BERTH_NS_PID].wanted && join_fd < 0)
		return 0;
	*own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (*own < 0)
		return berth_make_error(err, errno, "open own pid namespace: %s", strerror(errno));
	if (join_fd >= 0 ? setns(join_fd, CLONE_NEWPID) : unshare(CLONE_NEWPID))
		return berth_make_error(err, errno, "pid namespace: %s", strerror(errno));
	return 0;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The kernel's struct clone_args up to `cgroup` (Linux 5.7). */
struct rt_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
	    set_tid, set_tid_size, cgroup;
};

/* fork(), but the child is born in the cgroup directory CGROUP_FD (clone3
 * with CLONE_INTO_CGROUP): no migration afterwards, whose lock waits for
 * an RCU grace period. -1 with errno when the kernel cannot (ENOSYS,
 * EINVAL, E2BIG before 5.7): the caller forks and moves it instead.
 * (glibc's own tid cache stays the parent's in the child; raise() and
 * abort() ask the kernel for the tid, so nothing the child does uses it.) */
static pid_t fork_into_cgroup(int cgroup_fd)
{
	struct rt_clone_args a = { .flags = CLONE_INTO_CGROUP,
				   .exit_signal = SIGCHLD,
				   .cgroup = (uint64_t)cgroup_fd };

	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

/* The child is born non-dumpable (dmz.c, door 1): set here, before the
 * fork, so there is no instant in which it is both in the container's pid
 * namespace and dumpable; the parent's own flag comes back after. */
static int fork_child(struct create_ctx *x, int pid_join_fd, berth_error_t *err)
{
	cleanup_close int own = -1;
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	int cgfd = x->cgroup ? berth_cgroup_v2_fd(x->cgroup) : -1;

	if (pidns_for_child(x->spec, pid_join_fd, &own, err) < 0)
		return -1;
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	x->pid = -1;
	if (cgfd >= 0) {
		x->pid = fork_into_cgroup(cgfd);
		x->cgroup_entered = x->pid >= 0;
	}
	if (x->pid < 0)
		x->pid = fork();
	if (x->pid == 0) {
		close(x->parent_sync);
		berth_rt_child_main(&x->child);
	}
	if (dumpable > 0)
		(void)prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	if (own >= 0 && setns(own, CLONE_NEWPID) < 0 && x->pid > 0) {
		kill(x->pid, SIGKILL);
		return berth_make_error(err, errno, "back to our pid namespace: %s",
					strerror(errno));
	}
	if (x->pid < 0)
		return berth_make_error(err, errno, "fork: %s", strerror(errno));
	close(x->child.sync_fd);
	x->child.sync_fd = -1;
	return 0;
}

static int prepare(struct create_ctx *x, berth_error_t *err)
{
	int sv[2], k;

	x->parent_sync = -1;
	x->child.sync_fd = x->child.fifo_fd = x->child.dmz_fd = x->child.pty_slave = -1;
	for (k = 0; k < BERTH_NS_COUNT; k++)
		x->child.ns_fds[k] = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_make_error(err, errno, "socketpair: %s", strerror(errno));
	x->parent_sync = sv[0];
	x->child.sync_fd = sv[1];
	/* the seccomp program is compiled (or found in the cache) here, before
	 * the fork, so the init spends no time in libseccomp */
	if (x->spec->seccomp && !(x->opts->seccomp_bpf &&
				  berth_seccomp_read_bpf(x->opts->seccomp_bpf, &x->child.bpf)) &&
	    berth_seccomp_compile(x->spec->seccomp, &x->child.bpf, err) < 0)
		return -1;
	return berth_rt_dmz_open(&x->child.dmz_fd, err);
}

static int open_ns_paths(struct create_ctx *x, berth_error_t *err)
{
	int k;

	for (k = 0; k < BERTH_NS_COUNT; k++) {
		const char *p = x->spec->ns[k].path;
		if (!x->spec->ns[k].wanted || p == NULL)
			continue;
		x->child.ns_fds[k] = open(p, O_RDONLY | O_CLOEXEC);
		if (x->child.ns_fds[k] < 0)
			return berth_make_error(err, errno, "%s namespace `%s`: %s",
						berth_spec_ns_name(k), p, strerror(errno));
	}
	return 0;
}

/* ------------------------------------------------------------ conversation */

/* The OCI console-socket protocol: one byte with the master as SCM_RIGHTS. */
static int send_console(int sock, int master, berth_error_t *err)
{
	char byte = ' ', ctrl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	msg.msg_control = ctrl;
	msg.msg_controllen = sizeof(ctrl);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_make_error(err, errno, "send the pty to the console socket: %s",
					strerror(errno));
	return 0;
}

static int run_create_hooks(struct create_ctx *x, berth_error_t *err)
{
	cleanup_free char *state =
	    berth_runtime_state_json(x->opts->id, "creating", x->pid, x->opts->bundle, x->spec);

	if (berth_runtime_run_hooks(x->spec, BERTH_HOOK_PRESTART, state, err) < 0 ||
	    berth_runtime_run_hooks(x->spec, BERTH_HOOK_CREATE_RUNTIME, state, err) < 0)
		return -1;
	if (berth_rt_sync_send(x->parent_sync, SYNC_HOOKS_DONE, 0, NULL, -1) < 0)
		return berth_make_error(err, errno, "sync: %s", strerror(errno));
	return 0;
}

static int child_died(struct create_ctx *x, berth_error_t *err)
{
	int st = 0;

	if (waitpid(x->pid, &st, 0) == x->pid)
		x->pid = -1;
	if (WIFSIGNALED(st))
		return berth_make_error(
		    err, EIO, "the container's init died during setup (signal %d)", WTERMSIG(st));
	return berth_make_error(err, EIO, "the container's init exited during setup (status %d)",
				WEXITSTATUS(st));
}

/* One message from the child. Returns 1 when done, 0 to go on, <0 error. */
static int on_message(struct create_ctx *x, const struct berth_rt_sync_hdr *h, const char *text,
		      int fd, struct berth_runtime_proc *out, berth_error_t *err)
{
	switch (h->type) {
	case SYNC_WARN:
		if (x->opts->warn)
			x->opts->warn(x->opts->warn_ctx, text);
		return 0;
	case SYNC_PTY:
		if (x->opts->console_socket < 0) {
			out->pty_master = fd;
			return 0;
		}
		return send_console(x->opts->console_socket, fd, err);
	case SYNC_HOOKS:
		return run_create_hooks(x, err);
	case SYNC_ERROR:
		return berth_make_error(err, h->code ? h->code : EIO, "%s", text);
	case SYNC_READY:
		return 1;
	case SYNC_EXEC:
		x->saw_exec = true;
		return 0;
	case SYNC_EXEC_FAILED:
		return berth_make_error(err, h->code, "exec: \"%s\": %s", x->child.proc->args[0],
					strerror(h->code));
	default:
		return berth_make_error(err, EPROTO, "sync: unexpected message %u", h->type);
	}
}

static int converse(struct create_ctx *x, struct berth_runtime_proc *out, berth_error_t *err)
{
	char text[BERTH_RT_SYNC_MAX_TEXT + 1];

	for (;;) {
		struct berth_rt_sync_hdr h;
		int fd = -1, r;

		r = berth_rt_sync_recv(x->parent_sync, &h, text, sizeof(text), &fd);
		if (r < 0)
			return berth_make_error(err, errno, "sync: %s", strerror(errno));
		if (r == 0)
			return x->saw_exec ? 0 : child_died(x, err);
		r = on_message(x, &h, text, fd, out, err);
		if (fd >= 0 && fd != out->pty_master)
			close(fd);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}

/* The devices every container may use whatever its rules say, after
 * them (runc's AllowedDevices): mknod of anything (the nodes that exist
 * are what counts), null, zero, full, random, urandom, tty, the pty
 * master and slaves, and tun. */
static const char *const default_device_rules[] = {
	"{\"allow\":true,\"type\":\"c\",\"access\":\"m\"}",
	"{\"allow\":true,\"type\":\"b\",\"access\":\"m\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":9,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":0,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":2,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"}",
	"{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rwm\"}",
};

/* RESOURCES with the default device rules and one per `linux.devices`
 * node appended to its `devices` rules, when it has any (a new object);
 * NULL when it has none (left as it is). */
static json_t *with_device_rules(const struct berth_spec *spec)
{
	const json_t *devs = json_object_get(spec->resources, "devices");
	json_t *res, *rules;
	size_t i;

	if (!json_is_array(devs))
		return NULL;
	res = json_copy((json_t *)spec->resources);
	rules = json_copy((json_t *)devs);
	for (i = 0; i < BERTH_ARRAY_SIZE(default_device_rules); i++)
		json_array_append_new(rules, json_loads(default_device_rules[i], 0, NULL));
	for (i = 0; i < spec->n_devices; i++) {
		const struct berth_spec_device *d = &spec->devices[i];
		if (d->type == 'p')
			continue;
		json_array_append_new(rules, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1,
						       "type", d->type == 'b' ? "b" : "c", "major",
						       (json_int_t)d->major, "minor",
						       (json_int_t)d->minor, "access", "rwm"));
	}
	json_object_set_new(res, "devices", rules);
	return res;
}

static const char *cgroup_root(const struct create_ctx *x)
{
	return x->opts->cgroup_root ? x->opts->cgroup_root : "/sys/fs/cgroup";
}

/* Makes the container's cgroup (with its limits), no process in it yet. */
static int create_cgroup(struct create_ctx *x, berth_error_t *err)
{
	cleanup_free char *path = berth_runtime_cgroup_path(x->spec, x->opts->id);
	cleanup_json json_t *res = with_device_rules(x->spec);

	x->cgroup =
	    berth_cgroup_create(cgroup_root(x), path, res ? res : x->spec->resources, 0, err);
	return x->cgroup ? 0 : berth_error_wrap(err, "cgroup `%s`", path);
}

/* A pure cgroup v2 host: the cgroup is made before the child, which is
 * born in it (fork_child). Elsewhere it is made while the child sets up. */
static int create_cgroup_early(struct create_ctx *x, berth_error_t *err)
{
	if (berth_cgroup_host_version(cgroup_root(x)) != 2)
		return 0;
	return create_cgroup(x, err);
}

static int place_in_cgroup(struct create_ctx *x, berth_error_t *err)
{
	cleanup_free char *path = berth_runtime_cgroup_path(x->spec, x->opts->id);
	int fds[32]; /* a tasks file per v1 hierarchy (cgroup.c allows 32) */
	ssize_t n;

	if (x->cgroup == NULL && create_cgroup(x, err) < 0)
		return -1;
	/* v2: moved from here unless born there; v1: the child moves itself
	 * (SYNC_JOIN), which spares the RCU grace period a move of another
	 * process costs */
	if (!x->cgroup_entered && berth_cgroup_enter_v2(x->cgroup, x->pid, err) < 0)
		return berth_error_wrap(err, "cgroup `%s`", path);
	n = berth_cgroup_v1_task_fds(x->cgroup, fds, BERTH_ARRAY_SIZE(fds), err);
	if (n < 0)
		return berth_error_wrap(err, "cgroup `%s`", path);
	for (ssize_t i = 0; i < n; i++) {
		int r = berth_rt_sync_send(x->parent_sync, SYNC_JOIN, 0, NULL, fds[i]);
		int e = errno;
		close(fds[i]);
		if (r < 0 && e != EPIPE && e != ECONNRESET) {
			while (++i < n)
				close(fds[i]);
			return berth_make_error(err, e, "sync: %s", strerror(e));
		}
	}
	/* a child that failed already has its error waiting for converse() */
	if (berth_rt_sync_send(x->parent_sync, SYNC_GO, 0, NULL, -1) < 0 && errno != EPIPE &&
	    errno != ECONNRESET)
		return berth_make_error(err, errno, "sync: %s", strerror(errno));
	return 0;
}

static void fail_cleanup(struct create_ctx *x)
{
	berth_error_t e2 = NULL;

	if (x->pid > 0) {
		kill(x->pid, SIGKILL);
		while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (x->cgroup && berth_cgroup_destroy(x->cgroup, &e2) < 0)
		berth_error_release(&e2);
	berth_cgroup_free(x->cgroup);
	x->cgroup = NULL;
}

static void fill_out(struct create_ctx *x, struct berth_runtime_proc *out)
{
	out->pid = x->pid;
	out->pidfd = (int)syscall(SYS_pidfd_open, x->pid, 0);
	out->start_time = berth_runtime_pid_start_time(x->pid, NULL);
	out->cgroup = x->cgroup;
	x->cgroup = NULL;
}

static int check_spec(const struct berth_spec *spec, berth_error_t *err)
{
	if (!spec->has_process)
		return berth_make_error(err, EINVAL, "config.json: `process` is required");
	if (spec->ns[BERTH_NS_USER].wanted)
		return berth_make_error(err, ENOTSUP, "user namespaces are not supported yet");
	if (!spec->ns[BERTH_NS_MOUNT].wanted || spec->ns[BERTH_NS_MOUNT].path)
		return berth_make_error(err, EINVAL, "a new mount namespace is required");
	return 0;
}

static int resolve_rootfs(struct create_ctx *x, berth_error_t *err)
{
	cleanup_free char *p = x->spec->root_path[0] == '/'
				   ? xstrdup(x->spec->root_path)
				   : xasprintf("%s/%s", x->opts->bundle, x->spec->root_path);

	if (realpath(p, x->rootfs) == NULL)
		return berth_make_error(err, errno, "rootfs `%s`: %s", p, strerror(errno));
	x->child.rootfs = x->rootfs;
	return 0;
}

int berth_runtime_create(const struct berth_spec *spec, const struct berth_runtime_opts *opts,
			 struct berth_runtime_proc *out, berth_error_t *err)
{
	struct create_ctx x = { .spec = spec, .opts = opts, .pid = -1 };
	int ret;

	memset(out, 0, sizeof(*out));
	out->pidfd = out->pty_master = -1;
	if (check_spec(spec, err) < 0)
		return -1;
	x.child.spec = spec;
	x.child.proc = &spec->process;
	x.child.opts = opts;
	ret = prepare(&x, err);
	if (ret == 0)
		ret = resolve_rootfs(&x, err);
	if (ret == 0)
		ret = open_ns_paths(&x, err);
	if (ret == 0 && opts->exec_fifo) {
		x.child.fifo_fd = open(opts->exec_fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (x.child.fifo_fd < 0)
			ret = berth_make_error(err, errno, "open `%s`: %s", opts->exec_fifo,
					       strerror(errno));
	}
	if (ret == 0)
		ret = create_cgroup_early(&x, err);
	if (ret == 0)
		ret = fork_child(&x, x.child.ns_fds[BERTH_NS_PID], err);
	if (ret == 0)
		ret = place_in_cgroup(&x, err);
	if (ret == 0)
		ret = converse(&x, out, err);
	if (ret < 0) {
		fail_cleanup(&x);
		berth_runtime_proc_release(out);
	} else {
		fill_out(&x, out);
	}
	ctx_close(&x);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------------------ exec */

static int open_init_ns(struct create_ctx *x, pid_t init, berth_error_t *err)
{
	static const char *const proc_names[BERTH_NS_COUNT] = {
		[BERTH_NS_MOUNT] = "mnt", [BERTH_NS_PID] = "pid", [BERTH_NS_NET] = "net",
		[BERTH_NS_IPC] = "ipc",	  [BERTH_NS_UTS] = "uts", [BERTH_NS_CGROUP] = "cgroup",
		[BERTH_NS_TIME] = "time",
	};
	int k;

	for (k = 0; k < BERTH_NS_COUNT; k++) {
		char path[64];
		if (!x->spec->ns[k].wanted || proc_names[k] == NULL)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, proc_names[k]);
		x->child.ns_fds[k] = open(path, O_RDONLY | O_CLOEXEC);
		if (x->child.ns_fds[k] < 0)
			return berth_make_error(err, errno, "open `%s`: %s", path, strerror(errno));
	}
	return 0;
}

int berth_runtime_exec(pid_t init_pid, const struct berth_spec *spec,
		       const struct berth_spec_process *proc, const struct berth_runtime_opts *opts,
		       struct berth_runtime_proc *out, berth_error_t *err)
{
	struct create_ctx x = { .spec = spec, .opts = opts, .pid = -1 };
	int ret;

	memset(out, 0, sizeof(*out));
	out->pidfd = out->pty_master = -1;
	x.child.spec = spec;
	x.child.proc = proc;
	x.child.opts = opts;
	x.child.exec_mode = true;
	x.child.exec_init_pid = init_pid;
	ret = prepare(&x, err);
	if (ret == 0)
		ret = open_init_ns(&x, init_pid, err);
	if (ret == 0)
		ret = fork_child(&x, x.child.ns_fds[BERTH_NS_PID], err);
	if (ret == 0)
		ret = converse(&x, out, err);
	if (ret < 0) {
		fail_cleanup(&x);
		berth_runtime_proc_release(out);
	} else {
		fill_out(&x, out);
	}
	ctx_close(&x);
	return ret < 0 ? ret : 0;
}
