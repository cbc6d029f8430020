/* monitor.h: berth-monitor, the small process that owns one container.
 *
 * The daemon fork+execs one monitor per container:
 *
 *   berth-monitor --bundle DIR --id ID [--log-path FILE] [--log-max-size BYTES]
 *                 [--log-max-file N] [--ready-fd N] [--stdin] [--exit-file FILE]
 *                 [--attach-socket PATH] [--start-fd N] [--control FIFO] [--daemonize]
 *
 * 1. It reads DIR/config.json, calls setsid() and ignores SIGPIPE, SIGTERM,
 *    SIGINT and SIGHUP: the daemon kills the container by pid, and the
 *    monitor runs until the container exits, outliving the daemon.
 * 2. It creates the container with berth_runtime_create. stdout and stderr
 *    are pipes it owns; stdin is a pipe with --stdin, else /dev/null. A
 *    `process.terminal` container gets a pty whose master the monitor keeps.
 * 3. On --ready-fd it writes `{"pid":N,"start_time":T}\n` and closes the fd,
 *    after writing `monitor.json` {pid, start_time, monitor_pid} atomically
 *    next to the exit file (or in DIR without one) so that a restarted
 *    daemon can adopt the container. On failure it writes
 *    `{"error":"msg","errno":E}\n` instead and exits 1 (a missing program
 *    is ENOENT with "executable file not found" in the message).
 * 4. Output goes to the json-file log (--log-path, rotated by --log-max-size
 *    and --log-max-file) and to every client of --attach-socket (AF_UNIX,
 *    mode 0600) from the moment it connects: docker's multiplexed frames
 *    ([stream 1|2, 0, 0, 0, uint32 BE length] + payload) without a terminal,
 *    raw bytes with one. What a client sends goes to the container's stdin
 *    (--stdin or a terminal); a client's half-close closes the stdin pipe
 *    (docker's StdinOnce). A client more than 1 MiB behind is dropped.
 * With --daemonize the monitor forks first and the parent exits at once,
 * so that the monitor is reparented away from its caller (the daemon reaps
 * that parent and watches the monitor through monitor_pid).
 * With --start-fd the container is created stopped (an exec FIFO in DIR)
 * and the ready line is written; the monitor then blocks until one byte
 * arrives on that fd, accepts every attach client already connected (so
 * that no output is lost to a client that attached before the start), and
 * lets the program run. EOF on the fd instead kills the container.
 * With --exec PROCESS --exec-pid PID the monitor runs the OCI process of
 * the file PROCESS inside the running container whose init is PID (joining
 * its namespaces and cgroup; DIR/config.json is the container's spec)
 * instead of creating one. With --start-fd, it then writes
 * `{"listening":true}\n` on the ready fd once the attach socket is up,
 * waits for the go, accepts the clients and only then starts the process;
 * the ready (or error) line follows as a second line.
 * --seccomp-bpf FILE is the spec's seccomp filter, compiled by the daemon
 * (the runtime's seccomp_bpf): the monitor then never runs libseccomp.
 * With --wait-fd N the monitor is launched before its bundle is complete:
 * after the fork and setsid() it reads one line from N, the --seccomp-bpf
 * FILE or an empty line, and only then reads the spec; EOF (or a bad
 * line) makes it exit 0 without a report.
 * With --control the monitor reads lines from that FIFO (made if missing):
 *   resize H W    sets the terminal size of a tty container.
 * 5. When the container exits (pidfd) it drains the output, writes the exit
 *    file atomically:
 *      {"ExitCode":n,"OOMKilled":bool,"FinishedAt":"RFC3339Nano","Error":""}
 *    (n is the exit status, or 128+signal), removes the cgroup (unless
 *    --leave-cgroup: the caller then removes it after our exit), closes the
 *    attach clients and exits 0. */
#ifndef BERTH_MONITOR_MONITOR_H
#define BERTH_MONITOR_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

struct berth_monitor_opts {
	const char *bundle;	   /* as given; made absolute by the monitor */
	const char *id;		   /* container id */
	const char *log_path;	   /* NULL: no json-file log */
	int64_t log_max_size;	   /* 0: never rotate */
	int log_max_file;	   /* >= 1 */
	int ready_fd;		   /* -1: none */
	bool open_stdin;	   /* --stdin */
	const char *exit_file;	   /* NULL: none */
	const char *attach_socket; /* NULL: no attach */
	int start_fd;		   /* -1: start at once */
	const char *control;	   /* NULL: no control FIFO */
	bool daemonize;
	const char *seccomp_bpf;   /* NULL: compile the spec's seccomp filter */
	const char *exec_process;  /* NULL: create the container */
	int exec_pid;		   /* the container's init, with exec_process */
	bool leave_cgroup;	   /* --leave-cgroup: the caller removes it after our exit */
	int wait_fd;		   /* -1: the bundle is ready */
};

/* Runs the container of O until it exits, as described above. Returns 0
 * once the exit file is written, < 0 with *ERR set when the container could
 * not be created (already reported on O->ready_fd) or the loop failed. */
int berth_monitor_run(const struct berth_monitor_opts *o, berth_error_t *err);

#endif
