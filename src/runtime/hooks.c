/* hooks.c: OCI hooks, run by the runtime on the host with the container's
 * state on stdin (prestart/createRuntime during create, poststart after
 * start, poststop after delete). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/runtime.h"

static void write_all_ignore(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a hook that does not read its stdin: fine */
		off += (size_t)n;
	}
}

static __attribute__((noreturn)) void hook_child(const struct berth_spec_hook *h, int in)
{
	char *const none[] = { NULL };
	char *const argv0[] = { h->path, NULL };
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (dup2(in, 0) < 0)
		_exit(127);
	execve(h->path, h->args ? h->args : argv0, h->env ? h->env : none);
	_exit(127);
}

/* Waits for PID up to TIMEOUT seconds (0: forever), killing it past that. */
static int wait_hook(pid_t pid, int timeout, int *status)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (timeout > 0 && pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int r;
		do
			r = poll(&p, 1, timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int run_hook(const struct berth_spec_hook *h, const char *state, berth_error_t *err)
{
	int p[2], status = 0, ret;
	pid_t pid;

	/* a socket rather than a pipe: MSG_NOSIGNAL spares us SIGPIPE from a
	 * hook that exits without reading */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return berth_make_error(err, errno, "socketpair: %s", strerror(errno));
	pid = fork();
	if (pid == 0)
		hook_child(h, p[0]);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return berth_make_error(err, errno, "fork: %s", strerror(errno));
	}
	write_all_ignore(p[1], state);
	close(p[1]);
	ret = wait_hook(pid, h->timeout, &status);
	if (ret == -ETIMEDOUT)
		return berth_make_error(err, ETIMEDOUT, "hook `%s` timed out after %d s", h->path,
					h->timeout);
	if (ret < 0)
		return berth_make_error(err, -ret, "wait for hook `%s`: %s", h->path,
					strerror(-ret));
	if (WIFSIGNALED(status))
		return berth_make_error(err, EIO, "hook `%s` killed by signal %d", h->path,
					WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return berth_make_error(err, EIO, "hook `%s` exited with status %d", h->path,
					WEXITSTATUS(status));
	return 0;
}

int berth_runtime_run_hooks(const struct berth_spec *spec, enum berth_hook_kind kind,
			    const char *state_json, berth_error_t *err)
{
	const struct berth_spec_hooks *hs;
	size_t i;

	if (kind >= BERTH_HOOK_COUNT)
		return berth_make_error(err, EINVAL, "no such hook kind");
	hs = &spec->hooks[kind];
	for (i = 0; i < hs->n; i++)
		if (run_hook(&hs->v[i], state_json, err) < 0)
			return -1;
	return 0;
}
