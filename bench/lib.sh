# shellcheck shell=bash disable=SC2034
# bench/lib.sh: shared helpers for bench/ scripts (sourced, not executed).
#
# Paths: every peer lives under its own socket, data root and exec root so
# that berth, dockerd and podman can run side by side on one machine.
#   BENCH_RUN   runtime dir (sockets, pid files)   default /run/berth-bench
#   BENCH_DATA  persistent state (images, layers)  default /var/lib/berth-bench
#   BENCH_LOGS  daemon logs                        default $BENCH_DATA/logs
#   BENCH_SHARED  the project's shared/ dir        default <repo>/../shared

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_DIR/.." && pwd)
BENCH_RUN=${BENCH_RUN:-/run/berth-bench}
BENCH_DATA=${BENCH_DATA:-/var/lib/berth-bench}
BENCH_LOGS=${BENCH_LOGS:-$BENCH_DATA/logs}
BENCH_SHARED=${BENCH_SHARED:-$BENCH_REPO/../shared}
[ -d "$BENCH_SHARED" ] && BENCH_SHARED=$(cd "$BENCH_SHARED" && pwd)
BENCH_REGISTRY=${FIXTURES_REGISTRY:-127.0.0.1:5000}
BENCH_FIXTURES_DIR=${FIXTURES_DIR:-/var/cache/berth-fixtures}

bench_log() { printf '==> %s\n' "$*" >&2; }
bench_warn() { printf 'warning: %s\n' "$*" >&2; }
bench_die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# bench_pid_alive PIDFILE: true if the pid file names a live process.
bench_pid_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(cat "$1" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null
}

# bench_ping SOCKET: true if an Engine API on the Unix socket answers /_ping.
bench_ping() {
	[ -S "$1" ] || return 1
	[ "$(curl -s --max-time 2 --unix-socket "$1" http://localhost/_ping 2>/dev/null)" = OK ]
}

# bench_wait_ping SOCKET PIDFILE TIMEOUT_S: poll until the API answers, the
# process dies (fail) or the timeout passes (fail).
bench_wait_ping() {
	local sock=$1 pidfile=$2 deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		bench_ping "$sock" && return 0
		bench_pid_alive "$pidfile" || return 1
		sleep 0.2
	done
	return 1
}

# bench_stop_pid PIDFILE NAME TIMEOUT_S: SIGTERM, wait, SIGKILL as a last resort.
bench_stop_pid() {
	local pidfile=$1 name=$2 deadline=$((SECONDS + $3)) pid
	if ! bench_pid_alive "$pidfile"; then
		rm -f "$pidfile"
		return 0
	fi
	pid=$(cat "$pidfile")
	bench_log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		bench_warn "$name (pid $pid) ignored SIGTERM for $3 s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		sleep 0.5
	fi
	rm -f "$pidfile"
}

# bench_registry_up: true if the fixture registry answers.
bench_registry_up() {
	curl -sf --max-time 2 "http://$BENCH_REGISTRY/v2/" >/dev/null 2>&1
}
