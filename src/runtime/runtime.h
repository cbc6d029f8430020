/* runtime.h: turns a parsed OCI spec into a running container process.
 *
 * One fork of the caller becomes the container's init: it enters the new
 * namespaces, builds the root filesystem, drops privileges and execs the
 * spec's program through a sealed in-memory trampoline (see exec.c and
 * docs in dmz.c for why: CVE-2019-5736). The caller stays the parent: it
 * places the child in its cgroup, runs the createRuntime hooks, and
 * receives errors, warnings and the pty master over a socket pair.
 *
 * Used by berth-oci (create/run/exec) and by berth-monitor, which runs one
 * container with the stdio fds or pty it owns and waits on the pidfd. */
#ifndef BERTH_RUNTIME_RUNTIME_H
#define BERTH_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "runtime/spec.h"

struct berth_cgroup;

/* Receives a warning the runtime chose to live with (an rlimit clamped to
 * the inherited hard limit, ...): the library never prints. */
typedef void (*berth_runtime_warn_fn)(void *ctx, const char *msg);

struct berth_runtime_opts {
	const char *id;		 /* container id: hostname of hooks' state, default cgroup */
	const char *bundle;	 /* absolute; root.path is relative to it */
	const char *cgroup_root; /* NULL: /sys/fs/cgroup */
	/* fds the container gets as 0, 1, 2 (-1: the caller's own). Ignored
	 * for a terminal process: the pty slave takes all three. */
	int stdio[3];
	/* For a terminal process: a connected AF_UNIX socket that receives
	 * the pty master (SCM_RIGHTS, the OCI console-socket protocol), or -1
	 * to get it back in berth_runtime_proc.pty_master. */
	int console_socket;
	int preserve_fds; /* fds 3 .. 3+N-1 stay open in the container */
	/* NULL: the program starts at once. Else the path of a FIFO (made by
	 * berth_runtime_make_exec_fifo) the init blocks on, fully set up,
	 * until berth_runtime_start_fifo opens it: the OCI "created" state. */
	const char *exec_fifo;
	bool no_pivot;	     /* MS_MOVE + chroot instead of pivot_root (initramfs) */
	/* NULL, or a file holding the spec's seccomp filter already compiled
	 * (berth_seccomp_compile's cache): the runtime then never runs
	 * libseccomp. An unreadable or malformed file falls back to compiling. */
	const char *seccomp_bpf;
	bool no_new_keyring; /* keep the caller's session keyring */
	berth_runtime_warn_fn warn;
	void *warn_ctx;
};

/* Fills OPTS with the defaults (stdio inherited, no console socket, ...). */
void berth_runtime_opts_init(struct berth_runtime_opts *opts);

/* A container process the caller now owns. */
struct berth_runtime_proc {
	pid_t pid;		     /* in the caller's pid namespace */
	int pidfd;		     /* owned, O_CLOEXEC; -1 if the kernel has no pidfds */
	int pty_master;		     /* owned; -1 unless terminal without a console socket */
	uint64_t start_time;	     /* field 22 of /proc/PID/stat: tells a reused pid apart */
	struct berth_cgroup *cgroup; /* owned; NULL for exec'd processes */
};

/* Creates the container of SPEC (which needs a `process`) as a child of
 * the caller. On return the child is in its cgroup and either blocked on
 * OPTS->exec_fifo or already exec'ing the program. Any failure of the
 * child before that (mounts, PATH lookup: "exec: \"x\": executable file
 * not found in $PATH" with ENOENT, ...) is returned here with the child
 * reaped and its cgroup removed. The caller reaps the child later
 * (waitpid or the pidfd). Not thread-safe: it forks and briefly changes
 * the caller's pid_for_children namespace and dumpable flag. */
int berth_runtime_create(const struct berth_spec *spec, const struct berth_runtime_opts *opts,
			 struct berth_runtime_proc *out, berth_error_t *err);

/* Runs PROC inside the running container whose init is INIT_PID (its
 * namespaces and cgroups are joined), with the seccomp profile and
 * namespace list of SPEC, the container's config. OPTS as for create
 * (exec_fifo and no_pivot ignored). */
int berth_runtime_exec(pid_t init_pid, const struct berth_spec *spec,
		       const struct berth_spec_process *proc, const struct berth_runtime_opts *opts,
		       struct berth_runtime_proc *out, berth_error_t *err);

/* Closes the fds of P and frees its cgroup handle (the process runs on). */
void berth_runtime_proc_release(struct berth_runtime_proc *p);

/* Creates the exec FIFO at PATH (0600). */
int berth_runtime_make_exec_fifo(const char *path, berth_error_t *err);

/* Lets the init blocked on the FIFO at PATH run its program, then removes
 * the FIFO. ESRCH when no init waits on it any more (it died). */
int berth_runtime_start_fifo(const char *path, berth_error_t *err);

/* Runs the hooks of KIND in SPEC in order, each with STATE_JSON (the OCI
 * state) on its stdin, killing one that outlives its timeout. The first
 * failure stops the rest and is returned. */
int berth_runtime_run_hooks(const struct berth_spec *spec, enum berth_hook_kind kind,
			    const char *state_json, berth_error_t *err);

/* The OCI state document for hooks and `state`: a new JSON string. */
char *berth_runtime_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
			       const struct berth_spec *spec);

/* Field 22 of /proc/PID/stat (start time in clock ticks), 0 if PID is gone;
 * *ZOMBIE (may be NULL) says whether it has exited but not been reaped. */
uint64_t berth_runtime_pid_start_time(pid_t pid, bool *zombie);

/* Sends SIG to PID if it is still the process that started at START_TIME
 * (0: do not check). ESRCH when it is gone. */
int berth_runtime_kill(pid_t pid, uint64_t start_time, int sig, berth_error_t *err);

/* A signal by name or number: "TERM", "SIGTERM", "15", "SIGRTMIN+3";
 * -1 when it is none. */
int berth_runtime_signal_parse(const char *s);

/* The cgroup path a spec asks for, or "/berth/<id>" when it names none.
 * Returns a new string. */
char *berth_runtime_cgroup_path(const struct berth_spec *spec, const char *id);

#endif
