/* child.c: the container's init from fork to exec, as named phases:
 *   enter     namespaces (join by path, unshare the new ones), loopback up
 *   rootfs    mount.c, then hostname
 *   process   rlimits, oom_score_adj, keyring, stdio or pty, fds closed,
 *             cwd (inside the root only), PATH lookup
 *   wait      (create) tell the parent, block on the exec FIFO
 *   identity  groups, gid, uid, umask, seccomp (before the caps drop when
 *             no_new_privileges is off, as runc), caps, no_new_privs, seccomp
 *   exec      through the trampoline
 * Every failure is one message on the sync socket, then _exit(1). The
 * parent made this process non-dumpable before forking it (dmz.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "runtime/cgmount.h"
#include "runtime/linux/caps.h"
#include "runtime/linux/seccomp.h"
#include "runtime/runtime_internal.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

void berth_rt_child_warn(struct berth_rt_child *c, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	(void)berth_rt_sync_send(c->sync_fd, SYNC_WARN, 0, msg, -1);
}

int berth_rt_child_wait_go(struct berth_rt_child *c, berth_error_t *err)
{
	struct berth_rt_sync_hdr h;

	while (!c->got_go) {
		int fd = -1;
		int r = berth_rt_sync_recv(c->sync_fd, &h, NULL, 0, &fd);
		if (r <= 0)
			return berth_make_error(err, r == 0 ? EPIPE : errno,
						"sync: the runtime went away");
		if (h.type == SYNC_JOIN && fd >= 0) {
			/* "0": this thread, the process's only one */
			ssize_t n = write(fd, "0", 1);
			int e = errno;
			close(fd);
			if (n != 1)
				return berth_make_error(err, e, "join cgroup: %s", strerror(e));
		} else if (fd >= 0) {
			close(fd);
		}
		c->got_go = h.type == SYNC_GO;
	}
	return 0;
}

/* ------------------------------------------------------------ enter */

/* Signals as a fresh process has them: the parent may block or ignore
 * some, and both would survive execve. */
static void reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int s;

	for (s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static int loopback_up(berth_error_t *err)
{
	struct ifreq ifr = { 0 };
	cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return berth_make_error(err, errno, "socket: %s", strerror(errno));
	memcpy(ifr.ifr_name, "lo", 3);
	ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return berth_make_error(err, errno, "bring up lo: %s", strerror(errno));
	return 0;
}

/* The cgroup namespace must start at the container's cgroup: only after
 * the parent has placed us (runc does the same). */
static int enter_namespaces(struct berth_rt_child *c, berth_error_t *err)
{
	const struct berth_spec *s = c->spec;
	int k, flags = 0;

	for (k = 0; k < BERTH_NS_COUNT; k++) {
		if (k == BERTH_NS_PID || c->ns_fds[k] < 0 ||
		    (k == BERTH_NS_CGROUP && !c->exec_mode))
			continue;
		if (setns(c->ns_fds[k], berth_spec_ns_flag(k)) < 0)
			return berth_make_error(err, errno, "join %s namespace: %s",
						berth_spec_ns_name(k), strerror(errno));
	}
	for (k = 0; !c->exec_mode && k < BERTH_NS_COUNT; k++)
		if (k != BERTH_NS_PID && k != BERTH_NS_CGROUP && s->ns[k].wanted && !s->ns[k].path)
			flags |= berth_spec_ns_flag(k);
	if (flags && unshare(flags) < 0)
		return berth_make_error(err, errno, "unshare namespaces: %s", strerror(errno));
	if ((flags & CLONE_NEWNET) && loopback_up(err) < 0)
		return -1;
	if (!s->ns[BERTH_NS_CGROUP].wanted || c->exec_mode)
		return 0;
	if (berth_rt_child_wait_go(c, err) < 0)
		return -1;
	if (c->ns_fds[BERTH_NS_CGROUP] >= 0 ? setns(c->ns_fds[BERTH_NS_CGROUP], CLONE_NEWCGROUP)
					    : unshare(CLONE_NEWCGROUP))
		return berth_make_error(err, errno, "cgroup namespace: %s", strerror(errno));
	return 0;
}

static int set_hostname(struct berth_rt_child *c, berth_error_t *err)
{
	const struct berth_spec *s = c->spec;

	if (!s->hostname && !s->domainname)
		return 0;
	if (!s->ns[BERTH_NS_UTS].wanted)
		return berth_make_error(
		    err, EINVAL, "unable to set the hostname without a private UTS namespace");
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return berth_make_error(err, errno, "sethostname: %s", strerror(errno));
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return berth_make_error(err, errno, "setdomainname: %s", strerror(errno));
	return 0;
}

/* ------------------------------------------------------------ process */

/* Hard limits can only go down without CAP_SYS_RESOURCE (berth's hosts may
 * lack it; podman asks nofile=1048576 by default). runc and crun fail the
 * container; berth clamps a limit above the inherited hard one to it and
 * warns, since the alternative is a container that cannot start at all. */
static int set_rlimits(struct berth_rt_child *c, berth_error_t *err)
{
	const struct berth_spec_process *p = c->proc;
	size_t i;

	for (i = 0; i < p->n_rlimits; i++) {
		const struct berth_spec_rlimit *r = &p->rlimits[i];
		struct rlimit want = {
			.rlim_cur = r->soft == UINT64_MAX ? RLIM_INFINITY : r->soft,
			.rlim_max = r->hard == UINT64_MAX ? RLIM_INFINITY : r->hard,
		};
		struct rlimit cur;

		if (setrlimit(r->resource, &want) == 0)
			continue;
		if (errno != EPERM || getrlimit(r->resource, &cur) < 0 ||
		    want.rlim_max <= cur.rlim_max)
			return berth_make_error(err, errno, "setrlimit `%s`: %s",
						berth_spec_rlimit_name(r->resource),
						strerror(errno));
		want.rlim_max = cur.rlim_max;
		if (want.rlim_cur > cur.rlim_max)
			want.rlim_cur = cur.rlim_max;
		if (setrlimit(r->resource, &want) < 0)
			return berth_make_error(err, errno, "setrlimit `%s`: %s",
						berth_spec_rlimit_name(r->resource),
						strerror(errno));
		berth_rt_child_warn(c,
				    "rlimit `%s`: hard limit %llu is above the runtime's own "
				    "%llu and cannot be raised here: clamped to %llu",
				    berth_spec_rlimit_name(r->resource),
				    (unsigned long long)r->hard, (unsigned long long)cur.rlim_max,
				    (unsigned long long)cur.rlim_max);
	}
	return 0;
}

static int set_oom_and_keyring(struct berth_rt_child *c, berth_error_t *err)
{
	if (c->proc->has_oom_score_adj) {
		char buf[16];
		cleanup_close int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		int n = snprintf(buf, sizeof(buf), "%d", c->proc->oom_score_adj);

		if (fd < 0 || write(fd, buf, (size_t)n) < 0)
			return berth_make_error(err, errno, "oom_score_adj: %s", strerror(errno));
	}
	/* a keyring of its own, so that the host's session keys stay out
	 * of reach (runc); kernels without keys or a seccomp'd host: fine */
	if (!c->opts->no_new_keyring && !c->exec_mode &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS &&
	    errno != EPERM && errno != EACCES)
		return berth_make_error(err, errno, "join a session keyring: %s", strerror(errno));
	return 0;
}

static int setup_stdio(struct berth_rt_child *c, berth_error_t *err)
{
	int tmp[3] = { -1, -1, -1 }, i;

	if (c->pty_slave >= 0) {
		if (setsid() < 0 || ioctl(c->pty_slave, TIOCSCTTY, 0) < 0)
			return berth_make_error(err, errno, "controlling terminal: %s",
						strerror(errno));
		for (i = 0; i < 3; i++)
			if (dup2(c->pty_slave, i) < 0)
				return berth_make_error(err, errno, "dup2: %s", strerror(errno));
		return 0;
	}
	/* out of the way first: stdio[1] may well be fd 0 */
	for (i = 0; i < 3; i++)
		if (c->opts->stdio[i] >= 0 &&
		    (tmp[i] = fcntl(c->opts->stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return berth_make_error(err, errno, "dup stdio: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
			return berth_make_error(err, errno, "dup2: %s", strerror(errno));
		if (tmp[i] >= 0)
			close(tmp[i]);
	}
	return 0;
}

/* CVE-2024-21626: no fd of the runtime may serve as a way out. By now
 * every fd but stdio, the preserved ones and ours is closed, and the cwd
 * is resolved inside the root with magic links refused, then checked: a
 * cwd the root cannot reach reads "(unreachable)/..." from the kernel. */
static int enter_cwd(struct berth_rt_child *c, berth_error_t *err)
{
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	char buf[PATH_MAX];
	long n;

	if (root < 0)
		return berth_make_error(err, errno, "open /: %s", strerror(errno));
	fd = berth_rt_ensure_in_root(root, c->proc->cwd, true, err);
	if (fd < 0)
		return berth_error_wrap(err, "cwd `%s`", c->proc->cwd);
	if (fchdir(fd) < 0)
		return berth_make_error(err, errno, "chdir to cwd `%s`: %s", c->proc->cwd,
					strerror(errno));
	n = syscall(SYS_getcwd, buf, sizeof(buf));
	if (n < 0 || buf[0] != '/')
		return berth_make_error(err, EPERM, "cwd `%s` is outside of the container's root",
					c->proc->cwd);
	return 0;
}

static int close_fds(struct berth_rt_child *c, berth_error_t *err)
{
	int keep[3] = { c->sync_fd, c->fifo_fd, c->dmz_fd };
	int from = 3 + (c->opts->preserve_fds > 0 ? c->opts->preserve_fds : 0);
	size_t i;

	/* ours must not sit among the preserved ones */
	for (i = 0; i < BERTH_ARRAY_SIZE(keep); i++) {
		int nfd;
		if (keep[i] < 0 || keep[i] >= from)
			continue;
		nfd = fcntl(keep[i], F_DUPFD_CLOEXEC, from);
		if (nfd < 0)
			return berth_make_error(err, errno, "dup: %s", strerror(errno));
		keep[i] = nfd;
	}
	c->sync_fd = keep[0];
	c->fifo_fd = keep[1];
	c->dmz_fd = keep[2];
	for (i = 3; (int)i < from; i++)
		(void)fcntl((int)i, F_SETFD, 0);
	return berth_rt_close_fds_from(from, keep, BERTH_ARRAY_SIZE(keep), err);
}

/* ------------------------------------------------------------ wait */

static int wait_start(struct berth_rt_child *c, berth_error_t *err)
{
	struct pollfd pfd = { .fd = c->fifo_fd, .events = POLLIN };
	char b;
	ssize_t n;

	if (c->fifo_fd < 0)
		return 0;
	(void)prctl(PR_SET_PDEATHSIG, 0);
	if (berth_rt_sync_send(c->sync_fd, SYNC_READY, 0, NULL, -1) < 0)
		return berth_make_error(err, errno, "sync: %s", strerror(errno));
	/* the read end is O_NONBLOCK: poll until `start` writes a byte */
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return berth_make_error(err, errno, "wait for start: %s", strerror(errno));
		n = read(c->fifo_fd, &b, 1);
		if (n == 1)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return berth_make_error(err, errno, "wait for start: %s", strerror(errno));
	}
	close(c->fifo_fd);
	c->fifo_fd = -1;
	return 0;
}

/* ------------------------------------------------------------ identity */

static int set_identity(struct berth_rt_child *c, berth_error_t *err)
{
	const struct berth_spec_user *u = &c->proc->user;

	if (setgroups(u->n_additional_gids, u->additional_gids) < 0)
		return berth_make_error(err, errno, "setgroups: %s", strerror(errno));
	if (u->uid != 0 && berth_caps_prepare_user_switch(err) < 0)
		return -1;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return berth_make_error(err, errno, "setresgid %u: %s", (unsigned)u->gid,
					strerror(errno));
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return berth_make_error(err, errno, "setresuid %u: %s", (unsigned)u->uid,
					strerror(errno));
	umask(u->has_umask ? u->umask : 022);
	return 0;
}

static bool json_strv_has(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach ((json_t *)a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* The kernel raises an ambient capability only if it is inheritable too;
 * `runc spec` lists ambient caps without inheritable ones, and runc and
 * crun go on without them: so do we, with a copy that leaves those out. */
static json_t *ambient_filtered(const json_t *caps)
{
	const json_t *amb = json_object_get(caps, "ambient");
	const json_t *inh = json_object_get(caps, "inheritable");
	json_t *copy, *keep;
	size_t i;
	json_t *v;

	if (!json_is_array(amb) || json_array_size(amb) == 0)
		return NULL;
	keep = json_array();
	json_array_foreach ((json_t *)amb, i, v) {
		if (!json_is_string(v) || json_strv_has(inh, json_string_value(v)))
			json_array_append(keep, v);
	}
	if (json_array_size(keep) == json_array_size(amb)) {
		json_decref(keep);
		return NULL;
	}
	copy = json_copy((json_t *)caps);
	json_object_set_new(copy, "ambient", keep);
	return copy;
}

/* the program compiled before the fork, else libseccomp's own load */
static int apply_seccomp(struct berth_rt_child *c, berth_error_t *err)
{
	if (c->bpf.len > 0)
		return berth_seccomp_load_bpf(&c->bpf, err);
	return berth_seccomp_apply(c->spec->seccomp, err);
}

static int drop_privileges(struct berth_rt_child *c, berth_error_t *err)
{
	const struct berth_spec_process *p = c->proc;
	cleanup_json json_t *none = NULL;
	const json_t *caps = p->capabilities;

	if (!p->no_new_privileges && c->spec->seccomp && apply_seccomp(c, err) < 0)
		return -1;
	if (set_identity(c, err) < 0)
		return -1;
	/* no capabilities object: none at all, not the runtime's */
	if (caps == NULL)
		caps = none = json_object();
	else if ((none = ambient_filtered(caps)) != NULL)
		caps = none;
	if (berth_caps_apply(caps, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_make_error(err, errno, "no_new_privs: %s", strerror(errno));
	if (p->no_new_privileges && c->spec->seccomp && apply_seccomp(c, err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ main */

static int add_home(struct berth_rt_child *c, char ***envp)
{
	const struct berth_spec_process *p = c->proc;
	size_t i;

	*envp = p->env;
	for (i = 0; i < p->n_env; i++)
		if (strncmp(p->env[i], "HOME=", 5) == 0)
			return 0;
	/* runc sets HOME when the spec does not; "/" unless /etc/passwd knows
	 * better is good enough for a process that has not started yet */
	*envp = xcalloc(p->n_env + 2, sizeof(char *));
	memcpy(*envp, p->env, p->n_env * sizeof(char *));
	(*envp)[p->n_env] = berth_rt_home_of(p->user.uid);
	return 0;
}

static int process_and_exec(struct berth_rt_child *c, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	char **envp = NULL;

	if (set_rlimits(c, err) < 0 || set_oom_and_keyring(c, err) < 0 || setup_stdio(c, err) < 0 ||
	    berth_rt_child_wait_go(c, err) < 0 || close_fds(c, err) < 0 || enter_cwd(c, err) < 0)
		return -1;
	add_home(c, &envp);
	if (berth_rt_lookup_path(c->proc->args[0], envp, &path, err) < 0)
		return -1;
	if (wait_start(c, err) < 0 || drop_privileges(c, err) < 0)
		return -1;
	(void)prctl(PR_SET_PDEATHSIG, 0);
	(void)berth_rt_sync_send(c->sync_fd, SYNC_EXEC, 0, NULL, -1);
	return berth_rt_exec(c->dmz_fd, c->sync_fd, path, c->proc->args, envp, err);
}

static int child_run(struct berth_rt_child *c, berth_error_t *err)
{
	reset_signals();
	/* modes of what we create are exact; the spec's umask comes last */
	umask(0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return berth_make_error(err, errno, "prctl: %s", strerror(errno));
	if (c->exec_mode) {
		if (berth_cgmount_join(c->exec_init_pid, err) < 0)
			return -1;
		c->got_go = true;
	}
	if (enter_namespaces(c, err) < 0)
		return -1;
	if (!c->exec_mode && (berth_rt_setup_rootfs(c, err) < 0 || set_hostname(c, err) < 0))
		return -1;
	if (c->exec_mode && c->proc->terminal && berth_rt_exec_console(c, err) < 0)
		return -1;
	return process_and_exec(c, err);
}

void berth_rt_child_main(struct berth_rt_child *c)
{
	berth_error_t err = NULL;

	child_run(c, &err);
	if (err) {
		char msg[BERTH_RT_SYNC_MAX_TEXT];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		if (berth_rt_sync_send(c->sync_fd, SYNC_ERROR, err->code, msg, -1) < 0)
			dprintf(2, "berth: %s\n", msg);
	}
	_exit(1);
}
