/* proc.c: what the runtime knows of a container process from outside:
 * its start time (a reused pid told apart), signals through a pidfd, the
 * exec FIFO of the "created" state, the OCI state document and the
 * default cgroup path. No namespaces or cgroups are touched here. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "runtime/runtime.h"

char *berth_runtime_cgroup_path(const struct berth_spec *spec, const char *id)
{
	const char *p = spec->cgroups_path;

	if (p == NULL || p[0] == '\0')
		return xasprintf("/berth/%s", id);
	return p[0] == '/' ? xstrdup(p) : xasprintf("/%s", p);
}

/* ------------------------------------------------------------ /proc */

uint64_t berth_runtime_pid_start_time(pid_t pid, bool *zombie)
{
	char path[64], buf[1024], *p;
	cleanup_close int fd = -1;
	unsigned long long st = 0;
	ssize_t n;
	int field;

	if (zombie)
		*zombie = false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ppid ..." where comm may hold anything: after the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] == '\0')
		return 0;
	p += 2;
	if (zombie)
		*zombie = *p == 'Z' || *p == 'X';
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (p == NULL || sscanf(p, "%llu", &st) != 1)
		return 0;
	return st;
}

int berth_runtime_kill(pid_t pid, uint64_t start_time, int sig, berth_error_t *err)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd < 0 && errno != ENOSYS)
		return berth_make_error(err, errno == EINVAL ? ESRCH : errno, "process %d: %s",
					(int)pid, strerror(errno));
	/* the pidfd pins the process: if it started when we think, it is ours */
	if (start_time && berth_runtime_pid_start_time(pid, NULL) != start_time)
		return berth_make_error(err, ESRCH, "process %d is gone", (int)pid);
	if (pidfd >= 0 ? syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) : kill(pid, sig))
		return berth_make_error(err, errno, "kill %d: %s", (int)pid, strerror(errno));
	return 0;
}

/* ------------------------------------------------------------ FIFO */

int berth_runtime_make_exec_fifo(const char *path, berth_error_t *err)
{
	if (mkfifo(path, 0600) < 0)
		return berth_make_error(err, errno, "mkfifo `%s`: %s", path, strerror(errno));
	return 0;
}

int berth_runtime_start_fifo(const char *path, berth_error_t *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && errno == ENXIO)
		return berth_make_error(err, ESRCH, "the container's init is not waiting to start");
	if (fd < 0)
		return berth_make_error(err, errno, "open `%s`: %s", path, strerror(errno));
	if (write(fd, "0", 1) != 1)
		return berth_make_error(err, errno == EPIPE ? ESRCH : errno, "start: %s",
					strerror(errno));
	(void)unlink(path);
	return 0;
}

/* ------------------------------------------------------------ state JSON */

char *berth_runtime_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
			       const struct berth_spec *spec)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", "1.0.2", "id", id, "status",
			      status, "bundle", bundle ? bundle : "");
	char *s;

	if (pid > 0)
		json_object_set_new(o, "pid", json_integer(pid));
	if (spec && spec->annotations)
		json_object_set(o, "annotations", (json_t *)spec->annotations);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* ------------------------------------------------------------ signals */

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
	{ "TRAP", SIGTRAP },	 { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
	{ "FPE", SIGFPE },	 { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },	 { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
	{ "XCPU", SIGXCPU },	 { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH },	 { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

/* "TERM", "SIGTERM", "15", "SIGRTMIN+3" → number, or -1 */
int berth_runtime_signal_parse(const char *s)
{
	char *end;
	long n;
	size_t i;

	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	n = strtol(s, &end, 10);
	if (*s && *end == '\0')
		return n > 0 && n < NSIG ? (int)n : -1;
	for (i = 0; i < BERTH_ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(s, signal_names[i].name) == 0)
			return signal_names[i].sig;
	if (strncasecmp(s, "RTMIN", 5) == 0) {
		n = s[5] == '+' ? strtol(s + 6, &end, 10) : 0;
		return SIGRTMIN + n <= SIGRTMAX ? SIGRTMIN + (int)n : -1;
	}
	return -1;
}
