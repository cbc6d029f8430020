/* container_internal.h: what the container commands (cmd_container_*.c)
 * share: the options of `create` and `run` and the create request docker
 * builds from them, raw connections to the daemon (hijacked attach and
 * exec streams, long-polled waits), docker's multiplexed stream framing,
 * the terminal in raw mode, and the small formatting helpers of ps. */
#ifndef BERTH_CLI_CONTAINER_INTERNAL_H
#define BERTH_CLI_CONTAINER_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "http/client.h"
#include "http/conn.h"

/* docker's exit statuses of run/exec for its own failures */
#define BERTH_EXIT_DAEMON     125
#define BERTH_EXIT_CANNOT_RUN 126
#define BERTH_EXIT_NOT_FOUND  127

/* Largest body read on a raw connection (errors and wait results). */
#define BERTH_CLI_CONN_MAX_BODY (1024 * 1024)
/* Largest env or label file read by --env-file and --label-file. */
#define BERTH_CLI_KVFILE_MAX (4 * 1024 * 1024)

/* ---- create and run options ---- */

/* Values as given; strings point into argv (see opts.h). */
struct berth_cli_create_opts {
	/* run only */
	bool detach;
	bool sig_proxy;
	const char *detach_keys;
	/* create and run */
	const char *name;
	const char *platform;
	const char *pull;
	bool quiet;
	bool use_api_socket;
	bool disable_trust;
	bool help;
	/* the container: lists */
	struct berth_strv attach, volume, tmpfs, mount, link, alias, link_local_ip, env, label;
	struct berth_strv device_cgroup_rule, device, ulimit, sysctl, publish, expose, dns;
	struct berth_strv dns_search, dns_option, add_host, volumes_from, env_file, cap_add;
	struct berth_strv cap_drop, group_add, security_opt, storage_opt, label_file, log_opt;
	struct berth_strv network, annotation, blkio_weight_device, device_read_bps;
	struct berth_strv device_write_bps, device_read_iops, device_write_iops;
	/* the container: booleans */
	bool privileged, publish_all, interactive, tty, oom_kill_disable, no_healthcheck;
	bool rm, read_only;
	int init; /* BERTH_OPT_TRIBOOL */
	/* the container: strings, numbers, sizes and durations as given */
	const char *gpus, *pid, *uts, *userns, *cgroupns, *oom_score_adj, *cidfile;
	const char *entrypoint, *hostname, *domainname, *memory, *memory_reservation;
	const char *memory_swap, *kernel_memory, *user, *workdir, *cpu_count, *cpu_shares;
	const char *cpu_percent, *cpu_period, *cpu_rt_period, *cpu_rt_runtime, *cpu_quota;
	const char *cpus, *cpuset_cpus, *cpuset_mems, *blkio_weight, *io_maxbandwidth;
	const char *io_maxiops, *memory_swappiness, *mac_address, *ip, *ip6, *ipc;
	const char *pids_limit, *restart, *log_driver, *cgroup_parent, *volume_driver;
	const char *stop_signal, *stop_timeout, *isolation, *shm_size, *runtime;
	const char *health_cmd, *health_interval, *health_timeout, *health_start_period;
	const char *health_start_interval, *health_retries;
};

/* The run() of `run` and `create` (their tables are in cmd_container_opts.c). */
int berth_cli_cmd_run(struct berth_cli *cli, void *opts, const struct berth_strv *args,
		      berth_error_t *err);
int berth_cli_cmd_create(struct berth_cli *cli, void *opts, const struct berth_strv *args,
			 berth_error_t *err);

/* docker's parse(): the body of POST /containers/create for O, IMAGE and
 * the command ARGS[0..NARGS) — Config with HostConfig and NetworkingConfig
 * in the Go client's field order. Errors are docker's messages, without
 * the "docker: " decoration run adds. *OUT is the caller's. */
int berth_cli_container_config(const struct berth_cli_create_opts *o, const char *image,
			       const char *const *args, size_t nargs, json_t **out,
			       berth_error_t *err);

/* units.RAMInBytes ("64m", "1.5g", "512"): go-units' messages on error. */
int berth_cli_parse_ram(const char *s, int64_t *out, berth_error_t *err);

/* opts.ParseCPUs: "1.5" CPUs as nano CPUs, exactly, with docker's errors. */
int berth_cli_parse_cpus(const char *s, int64_t *out, berth_error_t *err);

/* units.ParseUlimit ("nofile=1024:2048") as {"Name","Hard","Soft"}; OUT may
 * be NULL to only check. */
int berth_cli_parse_ulimit(const char *s, json_t **out, berth_error_t *err);

/* Go's time.ParseDuration into nanoseconds, with Go's messages. */
int berth_cli_parse_go_duration(const char *s, int64_t *out, berth_error_t *err);

/* ---- raw connections ---- */

/* One HTTP exchange on a connection of its own (http/conn.h), for the
 * responses that are not ordinary bodies: a hijacked stream (101 or 200
 * then raw bytes) or a long poll (wait). Bytes read past the head stay in
 * `pending`. */
/* Connects to the client's daemon (negotiating the version first), sends
 * METHOD /vX.Y PATH?QUERY with BODY (JSON, may be NULL), asking for a
 * hijacked connection when UPGRADE, and reads the response head. A status
 * >= 400 is docker's error ("Error response from daemon: ..."). */
int berth_cli_conn_open(struct berth_client *c, const char *method, const char *path,
			const char *query, const char *body, bool upgrade,
			struct berth_http_conn *out, berth_error_t *err);

/* Reads the rest of the body (by Content-Length, chunks, or to EOF), at most
 * BERTH_CLI_CONN_MAX_BODY bytes, into *OUT (caller frees, NUL-terminated). */
int berth_cli_conn_read_body(struct berth_http_conn *conn, char **out, size_t *len,
			     berth_error_t *err);

void berth_cli_conn_close(struct berth_http_conn *conn);

/* ---- docker's stdcopy framing ---- */

/* A demultiplexer of [stream,0,0,0,len BE32] frames; zero-initialise. */
struct berth_cli_demux {
	unsigned char head[8];
	size_t head_len;
	uint32_t left; /* bytes of the current frame still to come */
	int stream;    /* of the current frame: 0 stdin, 1 stdout, 2 stderr */
};

/* Called with a piece of frame payload; < 0 stops the feed. */
typedef int (*berth_cli_demux_cb)(int stream, const char *data, size_t len, void *arg);

/* Feeds LEN bytes of the multiplexed stream; frames may be split anywhere.
 * Returns 0, the callback's < 0, or -2 for a frame of an unknown stream
 * (docker's "Unrecognized input header"). */
int berth_cli_demux_feed(struct berth_cli_demux *d, const char *data, size_t len,
			 berth_cli_demux_cb cb, void *arg);

/* ---- streaming a hijacked connection ---- */

struct berth_cli_stream_opts {
	bool tty;		 /* raw output, no frames */
	bool in;		 /* copy stdin to the connection */
	bool out;		 /* show stdout */
	bool err;		 /* show stderr */
	bool raw_terminal;	 /* stdin is a terminal to put in raw mode (tty && in) */
	const char *detach_keys; /* NULL: ctrl-p,ctrl-q (with raw_terminal only) */
	/* the container or exec to resize and signal; resize_path is
	 * "/containers/ID/resize" or "/exec/ID/resize", NULL for none */
	struct berth_client *client;
	const char *resize_path;
	const char *kill_path; /* "/containers/ID/kill", NULL: no signal proxy */
	/* a second connection to watch, the wait of run: when it answers,
	 * *wait_status gets the exit code (125 on an error) */
	struct berth_http_conn *wait;
	int *wait_status;
};

/* Copies between the hijacked CONN and stdin/stdout/stderr until the output
 * ends (or, without output, the input ends or the wait answers), as
 * docker's hijackedIOStreamer. Returns 0, 1 when the user typed the detach
 * keys, or < 0 on an I/O error. The terminal is restored before return. */
int berth_cli_stream(struct berth_http_conn *conn, const struct berth_cli_stream_opts *so,
		     berth_error_t *err);

/* Reads the result of a wait connection: StatusCode, or 125 (with the
 * error on stderr, as docker's logrus line) when it failed. */
int berth_cli_wait_result(struct berth_http_conn *wait);

/* Parses docker's detach keys ("ctrl-p,ctrl-q", "a,ctrl-@") into bytes;
 * returns the count or < 0 with term.ToBytes' message. */
int berth_cli_detach_keys(const char *spec, unsigned char *out, size_t max, berth_error_t *err);

/* POST RESIZE_PATH?h=H&w=W with stdout's terminal size (nothing when it is
 * not a terminal). */
void berth_cli_resize(struct berth_client *c, const char *resize_path);

/* ---- cp: docker's pkg/archive path rules ---- */

/* What docker's archive.CopyInfo says of one side of a copy. */
struct berth_cli_cp_info {
	const char *path; /* borrowed */
	bool exists, is_dir;
	const char *rebase_name; /* borrowed: the name the archive's top takes, or NULL */
};

/* Go's filepath.Clean. Caller frees. */
char *berth_cli_cp_clean(const char *path);

/* archive.SplitPathDirEntry: the parent and the last element, which stays
 * "." for "DIR/.". Both the caller's. */
void berth_cli_cp_split_dir_entry(const char *path, char **dir, char **base);

/* archive.PreserveTrailingDotOrSeparator: CLEANED with ORIG's trailing "/"
 * or "/.". Caller frees. */
char *berth_cli_cp_preserve_trailing(const char *cleaned, const char *orig);

/* docker's splitCpArg: "CTR:PATH" gives *CTR (NULL for a local path: one
 * that is absolute, starts with ".", has no ":" or an empty CTR) and *PATH.
 * Both the caller's. */
void berth_cli_cp_split(const char *arg, char **ctr, char **path);

/* archive.PrepareArchiveCopy: the directory to extract to (*DST_DIR) and
 * the rename of the archive's top (*OLD_BASE to *NEW_BASE, both NULL when
 * none), or docker's "cannot copy directory" / "no such directory". */
int berth_cli_cp_prepare(const struct berth_cli_cp_info *src, const struct berth_cli_cp_info *dst,
			 char **dst_dir, char **old_base, char **new_base, berth_error_t *err);

/* ---- shared helpers ---- */

/* Writes all of BUF to FD, retrying on EINTR; < 0 with errno on failure. */
int berth_cli_write_all(int fd, const char *buf, size_t len);

/* "/containers/NAME/SUFFIX" with NAME escaped as a path segment. */
char *berth_cli_container_path(const char *name, const char *suffix);

/* The exit status docker gives a failed `run`/`start` (toStatusError):
 * 127 for "not found" errors, 126 for permission ones, else 125. The
 * message becomes "berth: MSG\n\nRun 'berth CMD --help' for more information". */
int berth_cli_run_status_error(struct berth_cli *cli, const char *cmd, berth_error_t *err);

/* docker's argument-count errors for the running command (cli->path and
 * its use line): RequiresMinArgs, ExactArgs, RequiresRangeArgs, NoArgs. */
int berth_cli_args_min(struct berth_cli *cli, size_t n, berth_error_t *err);
int berth_cli_args_exact(struct berth_cli *cli, size_t n, berth_error_t *err);
int berth_cli_args_range(struct berth_cli *cli, size_t min, size_t max, berth_error_t *err);

/* sortorder.NaturalLess as a three-way comparison: runs of digits
 * compare as numbers (then fewer leading zeros first), a digit sorts
 * before any other byte, the rest bytewise. */
int berth_cli_natural_cmp(const char *a, const char *b);

/* docker's opts.ValidateLabel ("invalid label '=x': empty name") and
 * opts.ValidateLink, as option validators. */
int berth_cli_validate_label(const char *s, berth_error_t *err);
int berth_cli_validate_link(const char *s, berth_error_t *err);

/* Go's strconv.Atoi-like check used for exit codes and counts. */
bool berth_cli_parse_int(const char *s, int64_t *out);

/* berth_cli_parse_int as an option validator, with strconv.ParseInt's
 * message for S ("strconv.ParseInt: parsing \"x\": invalid syntax"). */
int berth_cli_validate_int(const char *s, berth_error_t *err);

/* go-units HumanDuration ("3 hours": hours are rounded, minutes are not). */
char *berth_cli_human_duration(int64_t ns, char *buf, size_t len);

/* formatter.Ellipsis: at most WIDTH display columns, "…" at the end when cut. */
char *berth_cli_ellipsis(const char *s, int width);

/* A Labels field of docker's formatters: "k=v,k2=v2" for the object
 * LABELS (may be NULL), sorted (Go's map order is random). Caller frees. */
char *berth_cli_labels_field(const json_t *labels);

/* formatter.DisplayablePorts over the Ports array of a container summary. */
char *berth_cli_display_ports(const json_t *ports);

/* The rows of `docker ps` for CONTAINERS (the /containers/json array), as
 * the fields of docker's ContainerContext, NOW_SEC for RunningFor. */
json_t *berth_cli_ps_rows(const json_t *containers, bool trunc, int64_t now_sec);

/* The table format of docker ps for SOURCE (--format), QUIET and SIZE. */
char *berth_cli_ps_format(const char *source, bool quiet, bool size);

/* The options of `container prune` and `network prune`, which docker
 * gives the same flags: --filter and --force. */
struct berth_cli_prune_opts {
	struct berth_strv filter;
	bool force;
};

#define BERTH_CLI_PRUNE_NOPTS 2
extern const struct berth_opt berth_cli_prune_options[BERTH_CLI_PRUNE_NOPTS];

/* Runs OP on each of NAMES in order, printing each name after success
 * (when PRINT) and joining the errors, as docker's stop/kill/rm/... do. */
typedef int (*berth_cli_each_fn)(struct berth_client *c, const char *name, void *arg,
				 berth_error_t *err);
int berth_cli_each(struct berth_cli *cli, const struct berth_strv *names, berth_cli_each_fn op,
		   void *arg, bool print, berth_error_t *err);

#endif
