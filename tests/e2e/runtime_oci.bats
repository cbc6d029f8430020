#!/usr/bin/env bats
# berth-oci, the OCI runtime CLI, on bundles made from the busybox fixture
# image: run and its exit statuses, the create/start/state/kill/delete
# lifecycle, the default isolation (processes, mounts, /proc/sys, /sys,
# fds, masked paths, read-only root), rlimits, hooks, exec, the console
# socket, podman driving it, and the regression tests named after the
# runc CVEs. tests/helpers/init.c (built here with `cc -static`) is the
# probe inside the containers.
#
# Needs root, and the busybox fixture (the registry on 127.0.0.1:5000 or
# its OCI layout in /var/cache/berth-fixtures) with skopeo and umoci;
# every test is skipped without them. BERTH_OCI overrides the binary
# (default $BERTH_BUILD/berth-oci).

load helpers
load bundle

setup_file() {
	export T SKIP_ALL=
	T=$(mktemp -d /tmp/berth-oci-e2e.XXXXXX)
	export OCI=${BERTH_OCI:-$BERTH_BUILD/berth-oci}
	export STATE=$T/state ROOTFS=$T/bb/rootfs
	if [ "$(id -u)" != 0 ]; then
		SKIP_ALL="needs root"
	elif [ ! -x "$OCI" ]; then
		SKIP_ALL="no berth-oci at $OCI (build first)"
	elif ! make_rootfs "$T/bb"; then
		SKIP_ALL="no busybox fixture (registry $FIXTURE_REGISTRY or $FIXTURE_DIR/oci) or no skopeo/umoci"
	elif ! cc -static -O2 -I"$BERTH_BUILD" -o "$ROOTFS/init" "$E2E_ROOT/tests/helpers/init.c"; then
		SKIP_ALL="cannot build tests/helpers/init.c with cc -static"
	fi
	base_config >"$T/base.json"
}

teardown_file() {
	local id
	for id in $(ls "$STATE" 2>/dev/null); do
		"$OCI" --root "$STATE" delete --force "$id" >/dev/null 2>&1
	done
	# the parent cgroup the cgroupsPath test made (cgroup.c keeps parents)
	rmdir /sys/fs/cgroup/*/berth-e2e /sys/fs/cgroup/berth-e2e 2>/dev/null
	[ -n "${T:-}" ] || return 0
	# podman's overlay mounts, if a test left any
	grep -F " $T/" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}

setup() {
	[ -z "$SKIP_ALL" ] || skip "$SKIP_ALL"
	ID=t$BATS_TEST_NUMBER
	B=$T/b$BATS_TEST_NUMBER
	mkdir -p "$B"
}

teardown() {
	"$OCI" --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

oci() { "$OCI" --root "$STATE" "$@"; }

# What docker would ask for: its default capabilities, masked and read-only
# paths, and mounts; no seccomp (linux/seccomp.c is tested on its own).
base_config() {
	cat <<-'EOF'
	{
	  "ociVersion": "1.0.2",
	  "process": {
	    "terminal": false, "user": {"uid": 0, "gid": 0},
	    "args": ["/init", "hostname"],
	    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
	    "cwd": "/",
	    "capabilities": {
	      "bounding": ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"],
	      "effective": ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"],
	      "permitted": ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]
	    }
	  },
	  "root": {"path": "ROOTFS", "readonly": true},
	  "hostname": "probe",
	  "mounts": [
	    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid","noexec","nodev"]},
	    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","strictatime","mode=755","size=65536k"]},
	    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
	    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid","noexec","nodev","mode=1777","size=65536k"]},
	    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid","noexec","nodev"]},
	    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid","noexec","nodev","ro"]},
	    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid","noexec","nodev","relatime","ro"]},
	    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","nodev","mode=1777"]}
	  ],
	  "linux": {
	    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
	    "maskedPaths": ["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],
	    "readonlyPaths": ["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]
	  }
	}
	EOF
}

# cfg [JQ-FILTER]: $B/config.json from the base config, edited by FILTER
cfg() {
	jq --arg rootfs "$ROOTFS" ".root.path = \$rootfs | ${1:-.}" "$T/base.json" >"$B/config.json"
}

# probe ARGS...: run /init ARGS in a fresh container, output in $output
probe() {
	local args
	args=$(printf '%s\n' /init "$@" | jq -R . | jq -s -c .)
	cfg ".process.args = $args"
	run oci run -b "$B" "$ID"
}

wait_status() { # ID STATUS: poll `state` for up to 5 s
	local i
	for i in $(seq 50); do
		[ "$(oci state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.1
	done
	oci state "$1"
	return 1
}

# ------------------------------------------------------------------ basics

@test "berth-oci --version and features" {
	run "$OCI" --version
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth-oci version"* ]]
	[[ "$output" == *"spec: 1.0.2"* ]]
	run "$OCI" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.linux.namespaces | index("pid")'
}

@test "run: hostname, ids, groups and cwd come from the spec" {
	cfg '.process.args = ["/init", "hostname", "id", "cwd"] | .hostname = "c-host"
	     | .process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 6]}
	     | .process.cwd = "/tmp/work/dir"'
	run oci run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "c-host" ]
	[ "${lines[1]}" = "uid=1000 gid=1001 groups=5,6" ]
	[ "${lines[2]}" = "/tmp/work/dir" ]
}

@test "run: the exit status is the program's, 128+N when killed" {
	cfg '.process.args = ["sh", "-c", "exit 3"]'
	run oci run -b "$B" "$ID"
	[ "$status" -eq 3 ]
	cfg '.process.args = ["/init", "pause"]'
	oci run -b "$B" "$ID" >/dev/null 2>&1 3>&- &
	wait_status "$ID" running
	pid=$!
	oci kill "$ID" KILL
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 137 ]
	# nothing is left behind
	[ ! -e "$STATE/$ID" ]
}

@test "run: a program not in \$PATH is 127 with runc's message" {
	cfg '.process.args = ["no-such-program"]'
	run oci run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 127 ]
	[[ "$output" == *'exec: "no-such-program": executable file not found in $PATH'* ]]
	cfg '.process.args = ["/no/such/path"]'
	run oci run -b "$B" "$ID"
	[ "$status" -eq 127 ]
	[[ "$output" == *"no such file or directory"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "run: a file that is not executable is 126" {
	cfg '.process.args = ["/etc/passwd"]'
	run oci run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 126 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "run: config.json errors name the field" {
	cfg '.process.cwd = "relative"'
	run oci run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'`process.cwd`: must be an absolute path'* ]]
	echo '{"root": ' >"$B/config.json"
	run oci run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"config.json: line"* ]]
	cfg '.linux.namespaces += [{"type": "user"}]'
	run oci run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"user namespaces are not supported"* ]]
}

# ------------------------------------------------------------------ lifecycle

@test "lifecycle: create, state, start, kill, delete" {
	cfg '.process.args = ["/init", "pause"]'
	# (the init keeps the stdio it is given: never bats' pipe)
	oci create -b "$B" --pid-file "$B/pid" "$ID" >"$B/out" 2>&1
	run oci state "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ "$(echo "$output" | jq -r .pid)" = "$(cat "$B/pid")" ]
	[ "$(echo "$output" | jq -r .bundle)" = "$B" ]
	[ -p "$STATE/$ID/exec.fifo" ]
	run oci list -q
	[[ "$output" == *"$ID"* ]]
	oci start "$ID"
	wait_status "$ID" running
	# not twice
	run oci start "$ID"
	[ "$status" -eq 1 ]
	run oci delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not stopped: running"* ]]
	run oci kill "$ID" KILL
	[ "$status" -eq 0 ]
	wait_status "$ID" stopped
	run oci kill "$ID" TERM
	[ "$status" -eq 1 ]
	run oci delete "$ID"
	[ "$status" -eq 0 ]
	run oci state "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "lifecycle: a created container runs nothing until start" {
	cfg '.process.args = ["sh", "-c", "echo ran > /dev/shm/x; cat /dev/shm/x"]'
	oci create -b "$B" "$ID" >"$B/out" 2>&1
	sleep 0.3
	[ ! -s "$B/out" ]
	oci start "$ID"
	for i in $(seq 50); do grep -q ran "$B/out" && break; sleep 0.1; done
	grep -q ran "$B/out"
}

@test "lifecycle: kill --all and delete --force of a running container" {
	cfg '.process.args = ["sh", "-c", "sleep 100 & sleep 100 & wait"]'
	oci run -d -b "$B" "$ID" >"$B/out" 2>&1
	wait_status "$ID" running
	run oci kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wait_status "$ID" stopped
	oci delete "$ID"
	cfg '.process.args = ["/init", "pause"]'
	oci run -d -b "$B" "$ID" >"$B/out" 2>&1
	wait_status "$ID" running
	run oci delete --force "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$STATE/$ID" ]
}

@test "cgroup: the init is in /berth/<id> (or cgroupsPath), removed after run" {
	probe cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *":/berth/$ID"* ]]
	[ ! -d "/sys/fs/cgroup/pids/berth/$ID" ] && [ ! -d "/sys/fs/cgroup/berth/$ID" ]
	cfg '.process.args = ["/init", "cat", "/proc/self/cgroup"] | .linux.cgroupsPath = "/berth-e2e/x'"$ID"'"'
	run oci run -b "$B" "$ID"
	[[ "$output" == *":/berth-e2e/x$ID"* ]]
}

# cgroup v2: the init is born in its cgroup (clone3 with CLONE_INTO_CGROUP),
# never moved into it. On a hybrid host the cgroup2 mount without
# controllers (/sys/fs/cgroup/unified) stands in for a v2 host.
@test "cgroup v2: the init is born in /berth/<id> with clone3 CLONE_INTO_CGROUP; removed after run" {
	local v2=""
	for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		if [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ]; then
			v2=$d
			break
		fi
	done
	[ -n "$v2" ] || skip "no cgroup2 mount on this host"
	command -v strace >/dev/null || skip "strace is not installed"
	cfg '.process.args = ["/init", "cat", "/proc/self/cgroup"] | del(.linux.resources)'
	# (LeakSanitizer cannot run under ptrace: off for this one run)
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" run strace -f -e trace=clone3 \
		-o "$T/clone.trace" "$OCI" --root "$STATE" --cgroup-root "$v2" run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0::/berth/$ID"* ]]
	grep -q "CLONE_INTO_CGROUP" "$T/clone.trace" || { cat "$T/clone.trace"; return 1; }
	[ ! -d "$v2/berth/$ID" ]
}

# ------------------------------------------------------------------ isolation

@test "isolation: no host processes are visible" {
	cfg '.process.args = ["sh", "-c", "ls /proc | grep -c \"^[0-9]\""]'
	run oci run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# sh, ls, grep: nothing else
	[ "$output" -le 3 ]
}

@test "isolation: mount fails, /proc/sys and /sys are read-only" {
	probe mount /tmp write /proc/sys/kernel/shmmax write /sys/kernel/x write /x
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = EPERM ]
	[ "${lines[1]}" = EROFS ]
	[ "${lines[2]}" = EROFS ]
	[ "${lines[3]}" = EROFS ]
}

@test "isolation: only fds 0-2 are open, even with fds leaked to the runtime" {
	probe fds
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2" ]
	cfg '.process.args = ["/init", "fds"]'
	run oci run -b "$B" "$ID" 5</etc/hostname 7<"$T" 9>"$B/leak"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2" ]
	# --preserve-fds keeps exactly the ones asked for
	run oci run --preserve-fds 2 -b "$B" "$ID" 3</etc/hostname 4</etc/hostname 5</etc/hostname
	[ "$output" = "0 1 2 3 4" ]
}

@test "isolation: masked paths are empty, devices are the standard ones" {
	probe cat /proc/timer_list cat /proc/keys
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	cfg '.process.args = ["sh", "-c", "ls /sys/firmware | wc -l; ls /dev | tr \"\\n\" \" \"; echo; readlink /dev/ptmx; readlink /dev/fd"]'
	run oci run -b "$B" "$ID"
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" == *"full"*"null"*"random"*"tty"*"urandom"*"zero"* ]]
	[[ "${lines[1]}" != *"sda"* && "${lines[1]}" != *"kmsg"* ]]
	[ "${lines[2]}" = "pts/ptmx" ]
	[ "${lines[3]}" = "/proc/self/fd" ]
}

@test "isolation: default capabilities, no CAP_SYS_ADMIN" {
	probe caps
	echo "$output"
	[[ "$output" == *"CapEff:	00000000a80425fb"* ]]
	[[ "$output" == *"CapBnd:	00000000a80425fb"* ]]
}

@test "root: read-only root refuses writes, a writable one takes them" {
	probe write /etc/x
	[ "$output" = EROFS ]
	mkdir -p "$B/rootfs"
	cp -a "$ROOTFS/." "$B/rootfs/"
	cfg '.root = {"path": "rootfs", "readonly": false} | .process.args = ["/init", "write", "/etc/x"]'
	run oci run -b "$B" "$ID"
	[ "$output" = ok ]
}

@test "root: a symlink in the image cannot take a mount out of the root" {
	mkdir -p "$B/rootfs"
	cp -a "$ROOTFS/." "$B/rootfs/"
	mkdir -p "$T/host-target"
	ln -s "$T/host-target" "$B/rootfs/escape"
	cfg '.root.path = "rootfs" | .process.args = ["/init", "cat", "/escape/m/x"]
	     | .mounts |= map(select(.destination != "/tmp"))
	     | .mounts += [{"destination": "/escape/m", "type": "tmpfs", "source": "tmpfs"}]'
	run oci run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ENOENT ]
	# the mount went to <rootfs>/<T>/host-target/m, inside the root
	[ ! -e "$T/host-target/m" ]
	[ -d "$B/rootfs$T/host-target/m" ]
}

@test "rlimits: a hard limit above the runtime's own is clamped, with a warning" {
	hard=$(ulimit -Hn)
	cfg '.process.args = ["/init", "rlimit", "nofile"]
	     | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1048576, "hard": 1048576}]'
	run oci run -b "$B" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	if [ "$hard" -lt 1048576 ]; then
		[[ "$output" == *"clamped to $hard"* ]]
		[[ "$output" == *"$hard $hard"* ]]
	fi
	cfg '.process.args = ["/init", "rlimit", "nofile"]
	     | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000}]'
	run oci run -b "$B" "$ID"
	[ "$output" = "512 1000" ]
}

@test "sysctl: net.* in the container's network namespace; host sysctls refused" {
	cfg '.process.args = ["/init", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"]
	     | .linux.sysctl = {"net.ipv4.ip_unprivileged_port_start": "80"}'
	run oci run -b "$B" "$ID"
	[ "$output" = 80 ]
	cfg '.linux.sysctl = {"kernel.panic": "1"}'
	run oci run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not in a separate kernel namespace"* ]]
}

# ------------------------------------------------------------------ hooks, exec, tty

@test "hooks: prestart, poststart and poststop get the state on stdin" {
	cfg '.process.args = ["/init", "hostname"] | .hooks = {
	  "prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > '"$B"'/prestart"]}],
	  "poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > '"$B"'/poststart"]}],
	  "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > '"$B"'/poststop"]}]}'
	run oci run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id "$B/prestart")" = "$ID" ]
	[ "$(jq -r .pid "$B/prestart")" -gt 1 ]
	[ "$(jq -r .status "$B/poststart")" = running ]
	[ "$(jq -r .status "$B/poststop")" = stopped ]
	[ "$(jq -r .bundle "$B/poststop")" = "$B" ]
}

@test "exec: a process in the running container's namespaces" {
	cfg '.process.args = ["/init", "pause"] | .hostname = "exec-host"'
	oci run -d -b "$B" "$ID" >"$B/out" 2>&1
	wait_status "$ID" running
	run oci exec "$ID" /init hostname fds cwd
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-host ]
	[ "${lines[1]}" = "0 1 2" ]
	run oci exec --cwd /tmp -e FOO=bar "$ID" /init cwd env FOO
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = bar ]
	run oci exec "$ID" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run oci exec "$ID" nope
	[ "$status" -eq 127 ]
	echo '{"args": ["/init", "id"], "cwd": "/", "user": {"uid": 7, "gid": 8}}' >"$B/process.json"
	run oci exec --process "$B/process.json" "$ID"
	[ "$output" = "uid=7 gid=8 groups=" ]
	# the exec'd process is in the container's cgroup
	run oci exec "$ID" /init cat /proc/self/cgroup
	[[ "$output" == *":/berth/$ID"* ]]
}

# A console socket server: prints what the pty master carries.
console_server() { # SOCKET OUTFILE
	python3 - "$1" "$2" 3>&- <<-'EOF' &
	import array, os, socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind(sys.argv[1]); s.listen(1)
	c, _ = s.accept()
	fds = array.array("i")
	msg, anc, flags, addr = c.recvmsg(16, socket.CMSG_LEN(fds.itemsize))
	fds.frombytes(anc[0][2][:fds.itemsize])
	out = open(sys.argv[2], "wb")
	while True:
	    try:
	        d = os.read(fds[0], 4096)
	    except OSError:
	        break
	    if not d:
	        break
	    out.write(d); out.flush()
	EOF
	for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
	return 1
}

@test "console socket: the pty master is sent, the process has a terminal" {
	console_server "$B/console.sock" "$B/tty.out"
	cfg '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}
	     | .process.args = ["sh", "-c", "/init isatty; stty size; readlink /proc/self/fd/0; ls -l /dev/console"]'
	oci create -b "$B" --console-socket "$B/console.sock" "$ID" >"$B/out" 2>&1
	oci start "$ID"
	wait_status "$ID" stopped
	for _ in $(seq 50); do grep -q console "$B/tty.out" && break; sleep 0.1; done
	cat "$B/tty.out"
	grep -q "1 1 1" "$B/tty.out"
	grep -q "30 100" "$B/tty.out"
	grep -q "/dev/pts/0" "$B/tty.out"
	grep -q "136, *0 .*/dev/console" "$B/tty.out"
}

# ------------------------------------------------------------------ CVEs

# CVE-2019-5736: a container process gets an fd of the runtime binary from
# /proc/PID/exe of a runtime process in its pid namespace and writes the
# host binary through it once the runtime has exited. Here the victim
# container B joins the attacker A's pid namespace (as a pod would), sits
# in "created" (its init a fork of the runtime), and its program is a
# script whose interpreter is /proc/self/exe. A copy of berth-oci runs B,
# so a successful attack would only corrupt the copy; the copy's hash and
# A's report must both say nothing was written.
@test "cve-2019-5736: the runtime binary cannot be reached for writing from the container" {
	mkdir -p "$B/a" "$B/b" "$B/rt"
	cp "$OCI" "$B/rt/berth-oci"
	sum=$(sha256sum <"$B/rt/berth-oci")
	mkdir -p "$B/b/rootfs"
	cp -a "$ROOTFS/." "$B/b/rootfs/"
	printf '#!/proc/self/exe\n' >"$B/b/rootfs/evil"
	chmod 755 "$B/b/rootfs/evil"

	jq --arg r "$ROOTFS" '.root.path = $r | .process.args = ["/init", "attack-exe", "6"]' \
		"$T/base.json" >"$B/a/config.json"
	oci run -b "$B/a" "${ID}a" >"$B/a.out" 2>&1 3>&- &
	wait_status "${ID}a" running
	apid=$(oci state "${ID}a" | jq -r .pid)
	jq --arg ns "/proc/$apid/ns/pid" '.root.path = "rootfs" | .process.args = ["/evil"]
	   | .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
		"$T/base.json" >"$B/b/config.json"
	"$B/rt/berth-oci" --root "$STATE" create -b "$B/b" "${ID}b" >"$B/b.out" 2>&1
	sleep 1.5
	"$B/rt/berth-oci" --root "$STATE" start "${ID}b"
	wait
	"$B/rt/berth-oci" --root "$STATE" delete --force "${ID}b" || true
	cat "$B/a.out"
	grep -q "pids-seen=[1-9]" "$B/a.out"
	grep -q "wrote=0" "$B/a.out"
	! grep -q WROTE "$B/a.out"
	[ "$(sha256sum <"$B/rt/berth-oci")" = "$sum" ]
	# what A could open at all was never the host binary
	! grep -q "^exe .*berth-oci" "$B/a.out"
}

@test "cve-2019-5736: a script run through /proc/self/exe does not run the runtime" {
	mkdir -p "$B/rootfs"
	cp -a "$ROOTFS/." "$B/rootfs/"
	printf '#!/proc/self/exe\n' >"$B/rootfs/evil"
	chmod 755 "$B/rootfs/evil"
	cfg '.root.path = "rootfs" | .process.args = ["/evil", "--version"]'
	run oci run -b "$B" "$ID"
	echo "$output"
	# the trampoline refuses to be an interpreter; the runtime never ran
	[ "$status" -eq 126 ]
	[[ "$output" != *"berth-oci version"* ]]
}

# CVE-2024-21626: process.cwd = /proc/self/fd/N, where N is an fd the runtime
# leaked (runc's was a handle on the host's /sys/fs/cgroup), put the
# container's cwd on the host. Every N with a host directory fd open in
# the runtime must fail to start, never land outside the root.
@test "cve-2024-21626: a cwd through a leaked fd does not reach the host" {
	echo host-only >"$T/host-marker"
	for n in 3 4 5 6 7 8 9; do
		cfg '.process.cwd = "/proc/self/fd/'"$n"'" | .process.args = ["sh", "-c", "pwd; cat ../../../../../host-marker host-marker 2>&1; true"]'
		run oci run -b "$B" "$ID" 3<"$T" 4<"$T" 5<"$T" 6<"$T" 7<"$T" 8<"$T" 9<"$T"
		echo "fd $n: $status $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *host-only* ]]
	done
	# the same through exec --cwd, with fds leaked to `exec`
	cfg '.process.args = ["/init", "pause"]'
	oci run -d -b "$B" "$ID" >"$B/out" 2>&1
	wait_status "$ID" running
	for n in 3 5 7; do
		run oci exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'pwd; cat ../../../../../host-marker host-marker 2>&1; true' 3<"$T" 5<"$T" 7<"$T"
		echo "exec fd $n: $status $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *host-only* ]]
	done
	oci delete --force "$ID"
	# preserved fds are the container's, but not a way out either
	cfg '.process.cwd = "/proc/self/fd/3" | .process.args = ["sh", "-c", "cat host-marker"]'
	run oci run --preserve-fds 1 -b "$B" "$ID" 3<"$T"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" != *host-only* ]]
}

# ------------------------------------------------------------------ podman

podman_oci() {
	DOCKER_CONFIG= podman --root "$T/podman/storage" --runroot "$T/podman/run" --storage-driver overlay \
		--runtime "$OCI" --cgroup-manager cgroupfs --events-backend file "$@"
}

require_podman() {
	command -v podman >/dev/null || skip "podman is not installed"
	curl -sf "http://$FIXTURE_REGISTRY/v2/" >/dev/null || skip "no fixture registry on $FIXTURE_REGISTRY"
}

@test "podman: run --rm busybox true with podman's default ulimits" {
	require_podman
	run podman_oci run --rm --network none --tls-verify=false "$FIXTURE_REGISTRY/library/busybox" true
	echo "$output"
	[ "$status" -eq 0 ]
	run podman_oci run --rm --network none --tls-verify=false "$FIXTURE_REGISTRY/library/busybox" echo hi
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = hi ]
	run podman_oci run --rm --network none --ulimit nofile=1024:2048 "$FIXTURE_REGISTRY/library/busybox" sh -c 'ulimit -Hn'
	[ "${lines[-1]}" = 2048 ]
}

@test "podman: exit codes, exec, a missing command" {
	require_podman
	run podman_oci run --rm --network none --tls-verify=false "$FIXTURE_REGISTRY/library/busybox" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run podman_oci run --rm --network none "$FIXTURE_REGISTRY/library/busybox" nonexistent
	echo "$output"
	[ "$status" -eq 127 ]
	podman_oci run -d --name "pe$ID" --network none "$FIXTURE_REGISTRY/library/busybox" sleep 100 >/dev/null
	run podman_oci exec "pe$ID" sh -c 'echo in-exec; hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-exec ]
	run podman_oci rm -f -t 0 "pe$ID"
	[ "$status" -eq 0 ]
}
