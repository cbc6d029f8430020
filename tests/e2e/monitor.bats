#!/usr/bin/env bats
# berth-monitor (src/monitor/monitor.h): one process per container that
# creates it, writes its json-file log, serves attach, and records the exit.
# Containers are busybox bundles made from the fixture image, as in
# runtime_oci.bats.
#
# Needs root, and the busybox fixture (the registry on 127.0.0.1:5000 or
# its OCI layout in /var/cache/berth-fixtures) with skopeo and umoci;
# every test is skipped without them. BERTH_MONITOR overrides the binary
# (default $BERTH_BUILD/src/monitor/berth-monitor).

load helpers
load bundle


setup_file() {
	export T SKIP_ALL=
	T=$(mktemp -d /tmp/berth-mon-e2e.XXXXXX)
	export MON=${BERTH_MONITOR:-$BERTH_BUILD/src/monitor/berth-monitor}
	export ROOTFS=$T/bb/rootfs
	if [ "$(id -u)" != 0 ]; then
		SKIP_ALL="needs root"
	elif [ ! -x "$MON" ]; then
		SKIP_ALL="no berth-monitor at $MON (build first)"
	elif ! command -v python3 >/dev/null; then
		SKIP_ALL="no python3"
	elif ! make_rootfs "$T/bb"; then
		SKIP_ALL="no busybox fixture (registry $FIXTURE_REGISTRY or $FIXTURE_DIR/oci) or no skopeo/umoci"
	fi
	base_config >"$T/base.json"
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	rm -rf "$T"
}

setup() {
	[ -z "$SKIP_ALL" ] || skip "$SKIP_ALL"
	ID=mon-e2e-$$-$BATS_TEST_NUMBER
	B=$T/b$BATS_TEST_NUMBER
	mkdir -p "$B"
}

teardown() { # a container a failed test left running: its monitor follows
	local pid
	pid=$(jq -r .pid "$B/monitor.json" 2>/dev/null) || return 0
	[ -n "$pid" ] && [ "$pid" != null ] && kill -9 "$pid" 2>/dev/null
	return 0
}

base_config() {
	cat <<-'EOF'
	{
	  "ociVersion": "1.0.2",
	  "process": {
	    "terminal": false, "user": {"uid": 0, "gid": 0},
	    "args": ["true"],
	    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
	    "cwd": "/",
	    "capabilities": {
	      "bounding": ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_SETGID","CAP_SETUID","CAP_KILL"],
	      "effective": ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_SETGID","CAP_SETUID","CAP_KILL"],
	      "permitted": ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_SETGID","CAP_SETUID","CAP_KILL"]
	    }
	  },
	  "root": {"path": "ROOTFS", "readonly": true},
	  "hostname": "mon",
	  "mounts": [
	    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid","noexec","nodev"]},
	    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","strictatime","mode=755","size=65536k"]},
	    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
	    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","nodev","mode=1777"]}
	  ],
	  "linux": {
	    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
	  }
	}
	EOF
}

# cfg JQ-FILTER: $B/config.json from the base config, edited by FILTER
cfg() {
	jq --arg rootfs "$ROOTFS" ".root.path = \$rootfs | ${1:-.}" "$T/base.json" >"$B/config.json"
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

has_content() { [ -s "$1" ]; }
is_gone() { ! kill -0 "$1" 2>/dev/null; }

# mon_bg ARGS...: a monitor for $B in the background, from a subshell that
# exits at once (so the monitor is orphaned); waits for its ready line
mon_bg() {
	(setsid "$MON" --bundle "$B" --id "$ID" --exit-file "$B/exit.json" \
		--attach-socket "$B/attach.sock" --ready-fd 3 "$@" 3>"$B/ready" \
		</dev/null >"$B/mon.out" 2>&1 &)
	wait_for 20 has_content "$B/ready"
	wait_for 5 has_content "$B/monitor.json"
}

@test "monitor: output to the json-file log, exit code and exit file" {
	cfg '.process.args = ["sh", "-c", "echo hi; echo err >&2; exit 3"]'
	run timeout 30 "$MON" --bundle "$B" --id "$ID" --log-path "$B/log.json" \
		--exit-file "$B/exit.json" --ready-fd 3 3>"$B/ready"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.pid | type' "$B/ready")" = number ]
	[ "$(jq -r .pid "$B/ready")" -gt 0 ]
	[ "$(jq -r .start_time "$B/ready")" -gt 0 ]
	[ "$(wc -l <"$B/log.json")" -eq 2 ]
	[ "$(jq -r 'select(.stream == "stdout") | .log' "$B/log.json")" = hi ]
	[ "$(jq -r 'select(.stream == "stderr") | .log' "$B/log.json")" = err ]
	jq -e '.time | test("^[0-9-]+T[0-9:.]+Z$")' "$B/log.json"
	[ "$(jq .ExitCode "$B/exit.json")" -eq 3 ]
	[ "$(jq .OOMKilled "$B/exit.json")" = false ]
	[ "$(jq -r .Error "$B/exit.json")" = "" ]
	jq -e '.FinishedAt | test("^[0-9-]+T[0-9:.]+Z$")' "$B/exit.json"
	[ "$(jq .monitor_pid "$B/monitor.json")" -gt 0 ]
	[ ! -e "/sys/fs/cgroup/berth/$ID" ]
}

@test "monitor: a missing program is an error on the ready fd and exit 1" {
	cfg '.process.args = ["no-such-program-xyz"]'
	run timeout 30 "$MON" --bundle "$B" --id "$ID" --exit-file "$B/exit.json" \
		--ready-fd 3 3>"$B/ready"
	[ "$status" -eq 1 ]
	jq -e '.error | contains("executable file not found")' "$B/ready"
	[ "$(jq .errno "$B/ready")" -eq 2 ]
	[ ! -e "$B/exit.json" ]
}

@test "monitor: attach frames stdout, feeds stdin, half-close ends it" {
	cfg '.process.args = ["cat"]'
	mon_bg --stdin --log-path "$B/log.json"
	[ "$(stat -c %a "$B/attach.sock")" = 600 ]
	run timeout 20 python3 - "$B/attach.sock" <<-'EOF'
	import socket, struct, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(10)
	s.connect(sys.argv[1])
	s.sendall(b"ping\n")
	def exact(n):
	    b = b""
	    while len(b) < n:
	        c = s.recv(n - len(b))
	        if not c:
	            sys.exit("eof after %r" % b)
	        b += c
	    return b
	hdr = exact(8)
	stream, length = hdr[0], struct.unpack(">I", hdr[4:])[0]
	assert hdr[1:4] == b"\0\0\0", hdr
	assert stream == 1, hdr
	assert exact(length) == b"ping\n"
	s.shutdown(socket.SHUT_WR)
	assert s.recv(100) == b""  # the monitor closes us once cat exited
	print("ok")
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	wait_for 10 has_content "$B/exit.json"
	[ "$(jq .ExitCode "$B/exit.json")" -eq 0 ]
	[ "$(jq -r .log "$B/log.json")" = ping ]
}

@test "monitor: a tty container writes raw bytes to the attach client" {
	cfg '.process.terminal = true | .process.args = ["sh", "-c", "read x; echo got-$x"]'
	mon_bg
	run timeout 20 python3 - "$B/attach.sock" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(10)
	s.connect(sys.argv[1])
	s.sendall(b"hello\n")
	data = b""
	while b"got-hello" not in data:
	    c = s.recv(4096)
	    if not c:
	        break
	    data += c
	assert b"got-hello\r\n" in data, data
	assert not data.startswith(b"\x01\0\0\0"), data
	print("ok")
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for 10 has_content "$B/exit.json"
	[ "$(jq .ExitCode "$B/exit.json")" -eq 0 ]
}

@test "monitor: orphaned and sent SIGTERM, it runs until the container exits" {
	cfg '.process.args = ["sleep", "2"]'
	mon_bg
	local mpid
	mpid=$(jq .monitor_pid "$B/monitor.json")
	[ "$(ps -o sid= -p "$mpid" | tr -d ' ')" = "$mpid" ]
	[ "$(ps -o ppid= -p "$mpid" | tr -d ' ')" != "$$" ]
	kill -TERM "$mpid"
	sleep 0.3
	kill -0 "$mpid"
	[ ! -e "$B/exit.json" ]
	wait_for 15 has_content "$B/exit.json"
	[ "$(jq .ExitCode "$B/exit.json")" -eq 0 ]
	wait_for 5 is_gone "$mpid"
	[ ! -e "$B/attach.sock" ]
}

@test "monitor: RSS while a container runs; a killed container exits 137" {
	cfg '.process.args = ["sleep", "30"]'
	mon_bg --log-path "$B/log.json"
	local mpid cpid rss
	mpid=$(jq .monitor_pid "$B/monitor.json")
	cpid=$(jq .pid "$B/ready")
	sleep 0.5
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mpid/status")
	# RssAnon is what each container adds; RssFile is mostly shared libc
	echo "# berth-monitor VmRSS: ${rss} kB, $(grep -E '^RssAnon' "/proc/$mpid/status" | tr -s ' \t' ' ')," \
		"$(grep -E '^Pss:' "/proc/$mpid/smaps_rollup" | tr -s ' \t' ' ') ($MON)" >&3
	echo "$rss" >"$T/rss"
	[ "$rss" -gt 0 ]
	kill -9 "$cpid"
	wait_for 10 has_content "$B/exit.json"
	[ "$(jq .ExitCode "$B/exit.json")" -eq 137 ]
	[ "$(jq .OOMKilled "$B/exit.json")" = false ]
}

@test "monitor: a client that does not read is dropped, the container finishes" {
	cfg '.process.args = ["sh", "-c", "sleep 1; head -c 8000000 /dev/zero"]'
	mon_bg
	run timeout 30 python3 - "$B/attach.sock" "$B/exit.json" <<-'EOF'
	import os, socket, sys, time
	s = socket.socket(socket.AF_UNIX)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	s.connect(sys.argv[1])
	while not os.path.exists(sys.argv[2]):  # read nothing until the exit
	    time.sleep(0.1)
	s.settimeout(10)
	got = 0
	try:
	    while True:
	        c = s.recv(65536)
	        if not c:
	            break
	        got += len(c)
	except ConnectionResetError:
	    pass
	assert got < 8000000, got  # dropped: it did not get everything
	print("ok", got)
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq .ExitCode "$B/exit.json")" -eq 0 ]
}
