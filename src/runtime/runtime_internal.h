/* runtime_internal.h: what container.c (the parent), child.c (the
 * container's init before exec), mount.c (its root filesystem) and exec.c
 * (the trampoline) share. Not for other modules. */
#ifndef BERTH_RUNTIME_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "base/error.h"
#include "runtime/linux/seccomp.h"
#include "runtime/runtime.h"
#include "runtime/spec.h"

/* ------------------------------------------------------------ sync socket
 * A SOCK_SEQPACKET pair between the parent and the child: one message per
 * event, each a header and an optional text, an fd riding along on
 * SYNC_PTY. The child's end is close-on-exec except across the exec of
 * the trampoline, which reports a failed execve with SYNC_EXEC_FAILED and
 * otherwise closes it: EOF after SYNC_EXEC means the program runs. */
enum berth_rt_sync_type {
	SYNC_GO = 1,	  /* parent → child: in the cgroup; go on */
	SYNC_HOOKS,	  /* child → parent: namespaces and mounts ready; run createRuntime */
	SYNC_HOOKS_DONE,  /* parent → child */
	SYNC_ERROR,	  /* child → parent: code = errno, text = message; the child exits */
	SYNC_WARN,	  /* child → parent: text */
	SYNC_PTY,	  /* child → parent: the pty master (SCM_RIGHTS) */
	SYNC_READY,	  /* child → parent: blocked on the exec FIFO */
	SYNC_EXEC,	  /* child → parent: about to exec the trampoline */
	SYNC_EXEC_FAILED, /* trampoline → parent: code = errno of the program's execve */
	SYNC_JOIN,	  /* parent → child: a v1 `tasks` file (SCM_RIGHTS) to write "0" to */
};

struct berth_rt_sync_hdr {
	uint32_t type;
	int32_t code;
};

#define BERTH_RT_SYNC_MAX_TEXT 4000

/* Sends one message; PASS_FD >= 0 rides along. MSG_NOSIGNAL: a parent gone
 * is EPIPE, not SIGPIPE. */
int berth_rt_sync_send(int fd, uint32_t type, int32_t code, const char *text, int pass_fd);

/* Receives one message into *HDR and TEXT (NUL-terminated, may be NULL);
 * *PASSED (may be NULL) gets an fd that came along, else -1. Returns 1, 0
 * on EOF, -1 with errno. */
int berth_rt_sync_recv(int fd, struct berth_rt_sync_hdr *hdr, char *text, size_t text_len,
		       int *passed);

/* ------------------------------------------------------------ the child */

struct berth_rt_child {
	const struct berth_spec *spec;	       /* borrowed: the parent's */
	const struct berth_spec_process *proc; /* borrowed */
	const struct berth_runtime_opts *opts; /* borrowed */
	const char *rootfs;		       /* borrowed: absolute */
	int sync_fd;			       /* the child's end of the sync socket */
	int fifo_fd;			       /* exec FIFO, read end, or -1 */
	int dmz_fd;			       /* sealed trampoline memfd, or -1 */
	int ns_fds[BERTH_NS_COUNT]; /* namespaces to join (opened by the parent), or -1 */
	int pty_slave;		    /* after the console is made, or -1 */
	bool got_go;		    /* SYNC_GO seen */
	bool exec_mode;		    /* berth_runtime_exec: joins, no rootfs */
	struct berth_seccomp_bpf bpf; /* compiled before the fork, or empty */
	pid_t exec_init_pid;	    /* exec_mode: the container's init */
};

static inline void berth_rt_json_decrefp(json_t **j)
{
	json_decref(*j);
	*j = NULL;
}
#define cleanup_json __attribute__((cleanup(berth_rt_json_decrefp)))

/* The container's init, after fork: never returns. Any error goes to the
 * sync socket (errno + message) and the child _exit()s (STYLE rule 4). */
__attribute__((noreturn)) void berth_rt_child_main(struct berth_rt_child *c);

/* Waits for SYNC_GO unless it came already. */
int berth_rt_child_wait_go(struct berth_rt_child *c, berth_error_t *err);

/* Reports a warning to the parent (best effort). */
void berth_rt_child_warn(struct berth_rt_child *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ mount.c */

/* Builds the root filesystem in the child's new mount namespace and makes
 * it the root: propagation, mounts, devices, console, sysctls, masked and
 * read-only paths, pivot_root, read-only root. On return the cwd is "/".
 * Runs the createRuntime hooks handshake in the middle. */
int berth_rt_setup_rootfs(struct berth_rt_child *c, berth_error_t *err);

/* The resolution berth_rt_open_in_root falls back on without openat2
 * (Linux < 5.6): component by component, O_NOFOLLOW, symlinks spliced in
 * and restarted from ROOTFD when absolute, ".." stopped at ROOTFD. Returns
 * an fd or -1 with errno. */
int berth_rt_walk_in_root(int rootfd, const char *path, int flags);

/* An O_PATH fd of PATH inside ROOTFD, created with its missing parents as
 * a directory (DIR) or an empty file, resolved as berth_rt_open_in_root. */
int berth_rt_ensure_in_root(int rootfd, const char *path, bool dir, berth_error_t *err);

/* For an exec'd terminal process: a new pty of the container's devpts, the
 * master sent to the parent, the slave kept in C->pty_slave. */
int berth_rt_exec_console(struct berth_rt_child *c, berth_error_t *err);

/* openat2(ROOTFD, PATH, FLAGS | O_CLOEXEC) with PATH resolved as if
 * ROOTFD were "/" (RESOLVE_IN_ROOT) and no magic links followed. */
int berth_rt_open_in_root(int rootfd, const char *path, int flags, berth_error_t *err);

/* ------------------------------------------------------------ exec.c */

/* A sealed, close-on-exec memfd holding the trampoline (-1 with *err on
 * failure; 0 and -1 without error when this build has none). */
int berth_rt_dmz_open(int *fd, berth_error_t *err);

/* Execs PATH with ARGV and ENVP through the trampoline DMZ_FD, which
 * reports a failed execve on SYNC_FD (kept open across the first exec
 * only). Without a trampoline, a plain execve. Returns only on failure. */
int berth_rt_exec(int dmz_fd, int sync_fd, const char *path, char *const argv[], char *const envp[],
		  berth_error_t *err);

/* Finds ARGS0 as execvp would, in the PATH of ENV (inside the container:
 * call after pivot_root). *OUT is a new string. ENOENT errors read like
 * runc's: `exec: "x": executable file not found in $PATH`. */
int berth_rt_lookup_path(const char *args0, char *const env[], char **out, berth_error_t *err);

/* "HOME=<dir>" for UID from the container's /etc/passwd, "HOME=/" if it
 * has none (call after pivot_root). A new string. */
char *berth_rt_home_of(uid_t uid);

/* Closes every fd >= FROM but those in KEEP (N entries). */
int berth_rt_close_fds_from(int from, const int *keep, size_t n, berth_error_t *err);

#endif
