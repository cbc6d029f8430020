/* main.c: berth-monitor's command line (the contract is in monitor.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/log.h"
#include "monitor/monitor.h"

static const struct option long_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "id", required_argument, NULL, 'i' },
	{ "log-path", required_argument, NULL, 'l' },
	{ "log-max-size", required_argument, NULL, 's' },
	{ "log-max-file", required_argument, NULL, 'n' },
	{ "ready-fd", required_argument, NULL, 'r' },
	{ "stdin", no_argument, NULL, 'I' },
	{ "exit-file", required_argument, NULL, 'e' },
	{ "attach-socket", required_argument, NULL, 'a' },
	{ "start-fd", required_argument, NULL, 'S' },
	{ "control", required_argument, NULL, 'c' },
	{ "daemonize", no_argument, NULL, 'D' },
	{ "exec", required_argument, NULL, 'x' },
	{ "seccomp-bpf", required_argument, NULL, 'C' },
	{ "exec-pid", required_argument, NULL, 'P' },
	{ "leave-cgroup", no_argument, NULL, 'L' },
	{ "wait-fd", required_argument, NULL, 'W' },
	{ NULL, 0, NULL, 0 },
};

static int parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max)
		return -1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: berth-monitor --bundle DIR --id ID [--log-path FILE] "
			"[--log-max-size BYTES] [--log-max-file N] [--ready-fd N] [--stdin] "
			"[--exit-file FILE] [--attach-socket PATH] [--start-fd N] "
			"[--control FIFO] [--daemonize] [--exec PROCESS --exec-pid PID] [--seccomp-bpf FILE]\n"
			"\t[--leave-cgroup] [--wait-fd N]\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct berth_monitor_opts *o)
{
	long long v;
	int c;

	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'i':
			o->id = optarg;
			break;
		case 'l':
			o->log_path = optarg;
			break;
		case 'e':
			o->exit_file = optarg;
			break;
		case 'a':
			o->attach_socket = optarg;
			break;
		case 'c':
			o->control = optarg;
			break;
		case 'D':
			o->daemonize = true;
			break;
		case 'L':
			o->leave_cgroup = true;
			break;
		case 'x':
			o->exec_process = optarg;
			break;
		case 'C':
			o->seccomp_bpf = optarg;
			break;
		case 'P':
			if (parse_num(optarg, 1, INT32_MAX, &v) < 0)
				return -1;
			o->exec_pid = (int)v;
			break;
		case 'S':
			if (parse_num(optarg, 0, 65535, &v) < 0)
				return -1;
			o->start_fd = (int)v;
			break;
		case 'I':
			o->open_stdin = true;
			break;
		case 's':
			if (parse_num(optarg, 0, INT64_MAX, &v) < 0)
				return -1;
			o->log_max_size = v;
			break;
		case 'n':
			if (parse_num(optarg, 1, 64, &v) < 0)
				return -1;
			o->log_max_file = (int)v;
			break;
		case 'r':
			if (parse_num(optarg, 0, 65535, &v) < 0)
				return -1;
			o->ready_fd = (int)v;
			break;
		case 'W':
			if (parse_num(optarg, 0, 65535, &v) < 0)
				return -1;
			o->wait_fd = (int)v;
			break;
		default:
			return -1;
		}
	}
	if (o->exec_process && o->exec_pid <= 0)
		return -1;
	return optind == argc && o->bundle && o->id ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct berth_monitor_opts o = { .log_max_file = 1, .ready_fd = -1, .start_fd = -1,
					.wait_fd = -1 };
	berth_error_t err = NULL;

	if (parse_args(argc, argv, &o) < 0)
		return usage();
	if (berth_monitor_run(&o, &err) < 0) {
		fprintf(stderr, "berth-monitor: %s\n", err->msg);
		berth_error_release(&err);
		return 1;
	}
	return 0;
}
