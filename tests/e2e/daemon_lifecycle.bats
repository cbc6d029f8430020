#!/usr/bin/env bats
# The daemon process: socket, pid file, data root lock, signals, state.
# Every test starts its own daemon(s) in its own directories.

load helpers

setup_file() {
	e2e_setup_file
}

teardown_file() {
	e2e_teardown_file
}

setup() {
	e2e_new_env "t$BATS_TEST_NUMBER"
}

teardown() {
	e2e_teardown
	stop_all_daemons >/dev/null 2>&1 || true
}

@test "daemon: socket is a Unix socket with mode 0660" {
	start_daemon
	[ -S "$SOCK" ] || { echo "$SOCK is not a socket" >&2; false; }
	assert_eq "$(stat -c %a "$SOCK")" 660 "socket mode"
	assert_eq "$(stat -c %A "$SOCK")" srw-rw---- "socket permissions"
	stop_daemon
}

@test "daemon: pid file holds the daemon's pid while it runs" {
	start_daemon
	[ -f "$EXEC/berth.pid" ] || { echo "no pid file $EXEC/berth.pid" >&2; ls -la "$EXEC" >&2; false; }
	assert_eq "$(tr -d '[:space:]' <"$EXEC/berth.pid")" "$DAEMON_PID" "pid file content"
	stop_daemon
}

@test "daemon: SIGTERM exits 0 and leaves no socket and no pid file" {
	start_daemon
	stop_daemon TERM
	assert_eq "$DAEMON_RC" 0 "exit status"
	[ ! -e "$SOCK" ] || { echo "socket $SOCK left behind" >&2; false; }
	[ ! -e "$EXEC/berth.pid" ] || { echo "pid file $EXEC/berth.pid left behind" >&2; false; }
}

@test "daemon: SIGINT exits 0 and leaves no socket and no pid file" {
	start_daemon
	stop_daemon INT
	assert_eq "$DAEMON_RC" 0 "exit status"
	[ ! -e "$SOCK" ] || { echo "socket $SOCK left behind" >&2; false; }
	[ ! -e "$EXEC/berth.pid" ] || { echo "pid file $EXEC/berth.pid left behind" >&2; false; }
}

@test "daemon: SIGTERM with an events stream and idle keep-alive clients open" {
	start_daemon
	local f=$ENV_DIR/ev.out
	"$DOCKER" -H "unix://$SOCK" events >"$f" 2>&1 3>&- &
	local ev=$!
	# An idle keep-alive connection and a half-sent request, held open.
	python3 - "$SOCK" "$ENV_DIR/py.ready" >"$ENV_DIR/py.out" 2>&1 3>&- <<-'EOF' &
	import socket, sys, time
	a = socket.socket(socket.AF_UNIX); a.connect(sys.argv[1])
	a.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"); a.recv(4096)
	b = socket.socket(socket.AF_UNIX); b.connect(sys.argv[1])
	b.sendall(b"GET /_ping HTTP/1.1\r\nHo")
	open(sys.argv[2], "w").close()
	time.sleep(60)
	EOF
	local py=$!
	wait_for 10 test -e "$ENV_DIR/py.ready" || { echo "raw client: $(cat "$ENV_DIR/py.out")" >&2; false; }
	local rc=0
	stop_daemon TERM || rc=$?
	kill "$py" 2>/dev/null || { echo "raw client ended early: $(cat "$ENV_DIR/py.out")" >&2; false; }
	# The events client sees its stream end when the daemon goes away.
	wait_for 10 proc_gone "$ev" || { kill "$ev"; echo "docker events still running after the daemon exited" >&2; false; }
	assert_eq "$rc" 0 "stop_daemon"
	[ ! -e "$SOCK" ] || { echo "socket left behind" >&2; false; }
}

@test "daemon: a second daemon on the same data root exits with a clear error" {
	start_daemon
	local first_sock=$SOCK
	# Same data root, different socket and exec root.
	local d=$ENV_DIR/second
	mkdir -p "$d"
	run timeout --kill-after=5 20 "$BERTH" daemon --host "unix://$d/berth.sock" --data-root "$DATA" \
		--exec-root "$d/exec" --config-file "$CONF"
	assert_failure
	assert_match "$output" "($DATA|already running|in use|locked)" "error message"
	[ ! -e "$d/berth.sock" ] || { echo "the second daemon left its socket behind" >&2; false; }
	# The first one is untouched and still answers on its socket.
	[ -S "$first_sock" ] || { echo "first daemon's socket is gone" >&2; false; }
	ping_ok || { echo "first daemon stopped answering" >&2; false; }
	stop_daemon
}

@test "daemon: a stale socket file does not stop the next start" {
	mkdir -p "$(dirname "$SOCK")"
	# A bound socket that nobody listens on, as a kill -9 leaves it.
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
	[ -S "$SOCK" ]
	start_daemon
	ping_ok
	stop_daemon
}

@test "daemon: restart after kill -9 (stale socket and pid file)" {
	start_daemon
	kill_daemon_hard
	start_daemon
	ping_ok
	assert_eq "$(tr -d '[:space:]' <"$EXEC/berth.pid")" "$DAEMON_PID" "pid file after restart"
	stop_daemon
}

@test "daemon: creates missing data and exec roots" {
	[ ! -e "$DATA" ] && [ ! -e "$EXEC" ]
	start_daemon
	[ -d "$DATA" ] && [ -d "$EXEC" ]
	stop_daemon
}

@test "daemon: state is SQLite in WAL mode under the data root" {
	start_daemon
	[ -f "$DATA/berth.db" ] || { echo "no $DATA/berth.db" >&2; ls -la "$DATA" >&2; false; }
	run python3 -c '
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("PRAGMA journal_mode").fetchone()[0])
' "$DATA/berth.db"
	assert_status 0
	assert_eq "$output" wal journal_mode
	stop_daemon
}

@test "daemon: restart keeps the daemon ID (state persists)" {
	start_daemon
	api GET /info
	local id
	id=$(json_get .ID)
	assert_match "$id" '.' ID
	stop_daemon
	start_daemon
	api GET /info
	assert_eq "$(json_get .ID)" "$id" "ID after restart"
	stop_daemon
}

@test "daemon: --help lists the daemon flags" {
	run timeout 10 "$BERTH" daemon --help
	assert_status 0
	local f
	for f in --host --data-root --exec-root --config-file --log-level; do
		assert_contains "$output" "$f"
	done
}

@test "daemon: an unknown flag is an error" {
	run timeout 10 "$BERTH" daemon --no-such-flag
	assert_failure
	assert_contains "$output" "no-such-flag"
}

@test "daemon: an invalid --log-level is an error" {
	run_daemon_expect_exit 20 --log-level loud
	assert_failure
	assert_contains "$output" "loud"
}

@test "daemon: --log-level debug is accepted" {
	start_daemon --log-level debug
	api GET /info
	assert_eq "$HTTP_STATUS" 200 "/info status"
	stop_daemon
}
