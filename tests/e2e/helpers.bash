# shellcheck shell=bash disable=SC2119,SC2120,SC2154
# tests/e2e/helpers.bash: start/stop a berth daemon on a private socket, data
# root and exec root, and drive it with real clients (docker CLI, curl, the
# Python docker SDK, our CLI). Load with `load helpers` from a .bats file.
#
# Per file:   setup_file() { e2e_setup_file; start_daemon; }
#             teardown_file() { e2e_teardown_file; }
#             teardown() { e2e_teardown; }      # prints the daemon log on failure
# Per test:   e2e_new_env NAME; start_daemon [ARGS...]; ...; stop_daemon
#
# Variables (exported): E2E_TMP (unique per file), and for the current daemon
# SOCK, DATA, EXEC, CONF (daemon.json, `{}` unless the test wrote one), LOG,
# DAEMON_PID. Environment knobs: BERTH_BUILD (default <repo>/build),
# DOCKER (docker CLI, default: /usr/local/bin/docker if present, else
# `docker`), BERTH_E2E_DAEMON_ARGS (extra daemon flags, e.g.
# `--log-level debug`), BERTH_E2E_START_TIMEOUT (s, default 30).
#
# Nothing here sleeps for a fixed time to synchronise: every wait polls a
# condition with a bound.

E2E_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-build}
[[ $BERTH_BUILD = /* ]] || BERTH_BUILD=$E2E_ROOT/$BERTH_BUILD
BERTH=$BERTH_BUILD/berth
HELPERS=$E2E_ROOT/tests/helpers
if [ -z "${DOCKER:-}" ]; then
	if [ -x /usr/local/bin/docker ]; then DOCKER=/usr/local/bin/docker; else DOCKER=docker; fi
fi
START_TIMEOUT=${BERTH_E2E_START_TIMEOUT:-30}
STOP_TIMEOUT=${BERTH_E2E_STOP_TIMEOUT:-30}
API_MAX=${BERTH_E2E_API_MAX:-1.47}
API_MIN=${BERTH_E2E_API_MIN:-1.24}
export BERTH BERTH_BUILD DOCKER HELPERS API_MAX API_MIN
# The docker CLI must not read a user's config or contexts, nor fall back on
# /var/run/docker.sock.
export DOCKER_CONFIG=${E2E_DOCKER_CONFIG:-/nonexistent-berth-e2e}
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

# ------------------------------------------------------------------ dirs
e2e_setup_file() {
	[ -x "$BERTH" ] || {
		echo "berth binary not found at $BERTH (build first: meson setup build && ninja -C build)" >&2
		return 1
	}
	# Short path under /tmp: Unix socket paths are limited to 107 bytes.
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-e2e.XXXXXX") || return 1
	export E2E_TMP
	mkdir -p "$E2E_TMP/docker-config"
	export DOCKER_CONFIG=$E2E_TMP/docker-config
	e2e_new_env main
}

e2e_teardown_file() {
	local rc=0
	stop_all_daemons || rc=1
	if [ -n "${E2E_TMP:-}" ] && [ -d "$E2E_TMP" ]; then
		# Unmount anything a daemon left under its roots before removing.
		grep -F " $E2E_TMP/" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf "$E2E_TMP"
	fi
	return $rc
}

# e2e_new_env NAME: point SOCK/DATA/EXEC/CONF/LOG at a fresh set of dirs.
e2e_new_env() {
	local d=$E2E_TMP/$1
	mkdir -p "$d"
	export ENV_DIR=$d
	export SOCK=$d/berth.sock DATA=$d/data EXEC=$d/exec CONF=$d/daemon.json LOG=$d/daemon.log
	export DAEMON_PID=
	[ -f "$d/daemon.child.pid" ] && DAEMON_PID=$(cat "$d/daemon.child.pid")
	true
}

# e2e_teardown: per-test teardown; shows the current daemon's log when the
# test failed (bats prints a failed test's output).
e2e_teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then
		echo "---- daemon log ($LOG), last 80 lines ----"
		tail -n 80 "$LOG"
		echo "----"
	fi
}

# ------------------------------------------------------------------ daemon
# start_daemon [ARGS...]: start `berth daemon` in the background for the
# current env and wait until /_ping answers OK. Fails (printing the log) if
# the daemon exits or does not answer within START_TIMEOUT.
start_daemon() {
	[ -f "$CONF" ] || echo '{}' >"$CONF"
	launch_daemon --host "unix://$SOCK" --data-root "$DATA" --exec-root "$EXEC" \
		--config-file "$CONF" "$@"
}

# launch_daemon ARGS...: like start_daemon, but `berth daemon ARGS` exactly
# (plus BERTH_E2E_DAEMON_ARGS); the daemon must serve the env's $SOCK.
launch_daemon() {
	# shellcheck disable=SC2206 # word splitting of the knob is wanted
	local extra=(${BERTH_E2E_DAEMON_ARGS:-})
	local d=$ENV_DIR deadline
	rm -f "$d/daemon.rc" "$d/daemon.child.pid"
	echo "=== $(date '+%F %T') start: $BERTH daemon ${extra[*]} $*" >>"$LOG"
	# A subshell waits for the daemon to record its exit status; fd 3 (bats)
	# and stdin are closed so bats does not wait for it.
	(
		"$BERTH" daemon "${extra[@]}" "$@" >>"$LOG" 2>&1 </dev/null &
		echo $! >"$d/daemon.child.pid.tmp" && mv "$d/daemon.child.pid.tmp" "$d/daemon.child.pid"
		# bats runs with errexit: a non-zero status must not end this shell.
		rc=0
		wait $! || rc=$?
		echo $rc >"$d/daemon.rc.tmp" && mv "$d/daemon.rc.tmp" "$d/daemon.rc"
	) </dev/null >/dev/null 2>&1 3>&- &
	deadline=$((SECONDS + 5))
	until [ -s "$d/daemon.child.pid" ]; do
		[ $SECONDS -lt $deadline ] || { echo "daemon launcher did not start" >&2; return 1; }
		sleep 0.01
	done
	DAEMON_PID=$(cat "$d/daemon.child.pid")
	export DAEMON_PID
	deadline=$((SECONDS + START_TIMEOUT))
	while :; do
		if ping_ok; then
			return 0
		fi
		if [ -f "$d/daemon.rc" ]; then
			echo "berth daemon exited with status $(cat "$d/daemon.rc") before answering /_ping; log:" >&2
			tail -n 50 "$LOG" >&2
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			echo "berth daemon did not answer /_ping on $SOCK within ${START_TIMEOUT}s; log:" >&2
			tail -n 50 "$LOG" >&2
			return 1
		fi
		sleep 0.05
	done
}

# daemon_running: the current env's daemon process is alive.
daemon_running() {
	[ -n "${DAEMON_PID:-}" ] && [ ! -f "$ENV_DIR/daemon.rc" ] && kill -0 "$DAEMON_PID" 2>/dev/null
}

# wait_daemon_exit [TIMEOUT]: wait for the daemon to exit; sets DAEMON_RC.
wait_daemon_exit() {
	local deadline=$((SECONDS + ${1:-$STOP_TIMEOUT}))
	until [ -f "$ENV_DIR/daemon.rc" ]; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.02
	done
	DAEMON_RC=$(cat "$ENV_DIR/daemon.rc")
	export DAEMON_RC
}

# stop_daemon [SIGNAL]: signal (TERM) the current daemon and wait for it to
# exit (bounded; SIGKILL after STOP_TIMEOUT). Fails if it had to be killed
# or exited non-zero (a sanitizer report makes the exit status non-zero).
stop_daemon() {
	local sig=${1:-TERM}
	[ -n "${DAEMON_PID:-}" ] || return 0
	if [ -f "$ENV_DIR/daemon.rc" ]; then
		DAEMON_RC=$(cat "$ENV_DIR/daemon.rc")
	else
		kill "-$sig" "$DAEMON_PID" 2>/dev/null
		if ! wait_daemon_exit; then
			echo "berth daemon (pid $DAEMON_PID) still running ${STOP_TIMEOUT}s after SIG$sig; killing it" >&2
			kill -KILL "$DAEMON_PID" 2>/dev/null
			wait_daemon_exit 10
			tail -n 50 "$LOG" >&2
			DAEMON_PID=
			return 1
		fi
	fi
	DAEMON_PID=
	rm -f "$ENV_DIR/daemon.child.pid"
	if [ "$DAEMON_RC" != 0 ]; then
		echo "berth daemon exited with status $DAEMON_RC after SIG$sig; log:" >&2
		tail -n 50 "$LOG" >&2
		return 1
	fi
}

# kill_daemon_hard: SIGKILL the current daemon (no cleanup), wait for it.
kill_daemon_hard() {
	[ -n "${DAEMON_PID:-}" ] || return 0
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait_daemon_exit 10
	DAEMON_PID=
	rm -f "$ENV_DIR/daemon.child.pid"
}

# proc_gone PID: the process has exited (a zombie child counts as gone).
proc_gone() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	[ -z "$st" ] || [[ $st == Z* ]]
}

# stop_all_daemons: stop every daemon started under E2E_TMP (teardown_file).
stop_all_daemons() {
	local f d rc=0
	[ -n "${E2E_TMP:-}" ] || return 0
	for f in "$E2E_TMP"/*/daemon.child.pid; do
		[ -f "$f" ] || continue
		d=$(dirname "$f")
		e2e_new_env "${d##*/}"
		stop_daemon || rc=1
	done
	return $rc
}

# run_daemon_expect_exit TIMEOUT [ARGS...]: run a daemon in the foreground that
# is expected to exit by itself (bad config, data root in use); sets
# `status` and `output` like bats `run`. Killed after TIMEOUT seconds
# (status 124).
run_daemon_expect_exit() {
	local t=$1
	shift
	# shellcheck disable=SC2206
	local extra=(${BERTH_E2E_DAEMON_ARGS:-})
	[ -f "$CONF" ] || echo '{}' >"$CONF"
	run timeout --kill-after=5 "$t" "$BERTH" daemon --host "unix://$SOCK" --data-root "$DATA" \
		--exec-root "$EXEC" --config-file "$CONF" "${extra[@]}" "$@"
}

# ------------------------------------------------------------------ clients
ping_ok() {
	[ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" = OK ]
}

# dk ARGS...: the real docker CLI against the current daemon.
dk() { "$DOCKER" -H "unix://$SOCK" "$@"; }

# bt ARGS...: our CLI against the current daemon.
bt() { "$BERTH" -H "unix://$SOCK" "$@"; }

# api METHOD PATH [CURL-ARGS...]: one request; sets HTTP_STATUS, HTTP_BODY and
# HTTP_HEADERS (raw header block, CRs stripped). Returns curl's status.
api() {
	local method=$1 path=$2 hdr body rc
	shift 2
	hdr=$(mktemp "$E2E_TMP/hdr.XXXXXX")
	body=$(mktemp "$E2E_TMP/body.XXXXXX")
	if [ "$method" = HEAD ]; then
		HTTP_STATUS=$(curl -sS --max-time 20 --unix-socket "$SOCK" --head -D "$hdr" -o "$body" \
			-w '%{http_code}' "$@" "http://localhost$path")
	else
		HTTP_STATUS=$(curl -sS --max-time 20 --unix-socket "$SOCK" -X "$method" -D "$hdr" -o "$body" \
			-w '%{http_code}' "$@" "http://localhost$path")
	fi
	rc=$?
	HTTP_HEADERS=$(tr -d '\r' <"$hdr")
	if [ "$method" = HEAD ]; then
		# curl --head writes the headers to -o as well; the body is what
		# came after them, i.e. nothing.
		HTTP_BODY=""
		HTTP_BODY_BYTES=$(($(stat -c %s "$body") - $(stat -c %s "$hdr")))
	else
		HTTP_BODY=$(cat "$body")
		HTTP_BODY_BYTES=$(stat -c %s "$body")
	fi
	rm -f "$hdr" "$body"
	export HTTP_STATUS HTTP_BODY HTTP_HEADERS HTTP_BODY_BYTES
	return $rc
}

# header NAME: value of header NAME in the last api response (case-insensitive).
header() {
	awk -v n="$(echo "$1" | tr '[:upper:]' '[:lower:]')" '
		{ i = index($0, ":"); if (i == 0) next
		  k = tolower(substr($0, 1, i - 1))
		  if (k == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }
	' <<<"$HTTP_HEADERS"
}

# has_header NAME: the last api response carried header NAME.
has_header() {
	grep -qi "^$1:" <<<"$HTTP_HEADERS"
}

# json_get FILTER [JSON]: jq -r on JSON (default: last HTTP_BODY).
json_get() {
	if [ $# -ge 2 ]; then jq -r "$1" <<<"$2"; else jq -r "$1" <<<"$HTTP_BODY"; fi
}

# wait_for TIMEOUT CMD...: poll CMD until it succeeds (every 50 ms) or fail.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# py_sdk CODE: run Python with the docker SDK; `c` is a DockerClient on SOCK.
py_sdk() {
	python3 - "$SOCK" <<-EOF
	import sys, json, time, docker
	c = docker.DockerClient(base_url="unix://" + sys.argv[1], timeout=30)
	$1
	EOF
}

require_docker_sdk() {
	python3 -c 'import docker' 2>/dev/null || skip "Python docker SDK not installed (pip install docker)"
}

require_tool() {
	command -v "$1" >/dev/null || skip "$1 not installed"
}

# assert helpers with useful messages (bats 1.8 core has no bats-assert).
assert_eq() { # ACTUAL EXPECTED [WHAT]
	if [ "$1" != "$2" ]; then
		echo "${3:-value} mismatch:" >&2
		echo "  expected: $2" >&2
		echo "  actual:   $1" >&2
		return 1
	fi
}

assert_match() { # ACTUAL REGEX [WHAT]
	if ! [[ $1 =~ $2 ]]; then
		echo "${3:-value} does not match /$2/:" >&2
		echo "  actual: $1" >&2
		return 1
	fi
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
	if [[ $1 != *"$2"* ]]; then
		echo "${3:-output} does not contain '$2':" >&2
		printf '%s\n' "$1" | head -n 40 | sed 's/^/  | /' >&2
		return 1
	fi
}

assert_not_contains() { # HAYSTACK NEEDLE [WHAT]
	if [[ $1 == *"$2"* ]]; then
		echo "${3:-output} unexpectedly contains '$2':" >&2
		printf '%s\n' "$1" | head -n 40 | sed 's/^/  | /' >&2
		return 1
	fi
}

assert_status() { # EXPECTED: for bats `run`
	if [ "$status" != "$1" ]; then
		echo "exit status $status, expected $1; output:" >&2
		printf '%s\n' "$output" | head -n 40 | sed 's/^/  | /' >&2
		return 1
	fi
}

assert_failure() { # for bats `run`: non-zero, not a timeout kill
	if [ "$status" = 0 ]; then
		echo "expected a failure, got exit status 0; output:" >&2
		printf '%s\n' "$output" | head -n 40 | sed 's/^/  | /' >&2
		return 1
	fi
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		echo "timed out (status $status); output:" >&2
		printf '%s\n' "$output" | head -n 40 | sed 's/^/  | /' >&2
		return 1
	fi
}

# now_ts: the current time as docker's --since/--until take it.
now_ts() { date +%s.%N; }

# cgroup_version: what /info's CgroupVersion must say on this host.
host_cgroup_version() {
	if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then echo 2; else echo 1; fi
}
