#!/usr/bin/env bats
# Container isolation (issue 4) and regressions for known container-escape
# CVEs of runc/containerd/docker that apply to an engine like berth. Each
# CVE test is named after it and checks the invariant the fix restored,
# from inside an ordinary busybox container (or one from a crafted image
# loaded for the test), and, where it matters, from the host (binaries'
# hashes, files outside the container). dockerd 20.10 with runc 1.1.5 and
# containerd 1.6 passes them all (E2E_PEER_HOST=unix:///...).
#
# Attempts are made so that a vulnerable engine is detected without doing
# damage: files are opened for writing but never written, the "outside"
# targets are scratch files of the test.
#
# Not here yet: CVE-2021-30465 (symlink exchange race on mount
# destinations), CVE-2024-45310 (volume race that creates host files).

bats_require_minimum_version 1.5.0

load helpers
load images_helpers
load containers_helpers

setup_file() { ctr_setup_file; }
teardown_file() { ctr_teardown_file; }
setup() { ctr_setup; }
teardown() { ctr_teardown; }

# bb SCRIPT [RUN-ARGS...]: `docker run --rm RUN-ARGS busybox sh -c SCRIPT`
# through bats' run.
bb() {
	local s=$1
	shift
	run dk run --rm --name "$(cname "r$RANDOM")" "$@" busybox sh -c "$s"
}

# ================================================================== isolation
@test "isolation: the container's pid namespace holds only its processes" {
	run dk run --rm --name "$(cname ps)" busybox ps -o pid,comm
	assert_status 0
	assert_eq "${lines[0]}" "PID   COMMAND" "ps header"
	assert_match "${lines[1]}" '^ +1 ps$' "pid 1 is the command"
	assert_eq "${#lines[@]}" 2 "ps lines (header, pid 1)"
	# the processes there when sh (pid 1) runs ls and wc: at most those
	bb 'ls -d /proc/[0-9]* | wc -l'
	assert_status 0
	[ "$output" -le 3 ] || { echo "the container sees $output processes" >&2; return 1; }
	# the host sees a process the container cannot: this shell
	bb "test -e /proc/$$ && echo visible || echo hidden"
	[ "$$" = 1 ] || assert_eq "$output" hidden "host pid $$ in the container"
}

@test "isolation: namespaces (ipc, mnt, net, pid, uts) differ from the host's; exec joins the container's" {
	local n ns hostns mine
	n=$(cname)
	sleeper "$n"
	for ns in ipc mnt net pid uts; do
		hostns=$(readlink "/proc/self/ns/$ns")
		mine=$(dk exec "$n" readlink "/proc/1/ns/$ns")
		[ "$mine" != "$hostns" ] || { echo "the container shares the host's $ns namespace ($mine)" >&2; return 1; }
		assert_eq "$(dk exec "$n" readlink "/proc/self/ns/$ns")" "$mine" "exec'd process' $ns namespace"
	done
	# the host's files are not there
	run dk exec "$n" test -e "$E2E_TMP"
	assert_failure
}

@test "isolation: mount, sethostname, unshare are refused" {
	bb 'mkdir /m; mount -t tmpfs e2e /m && echo MOUNTED'
	assert_failure
	assert_not_contains "$output" MOUNTED
	assert_contains "$output" "permission denied"
	bb 'hostname e2e-changed'
	assert_failure
	assert_contains "$output" "Operation not permitted"
	assert_eq "$(hostname)" "$(cat /proc/sys/kernel/hostname)" "host hostname"
	[ "$(hostname)" != e2e-changed ]
	bb 'unshare -m true'
	assert_failure
	assert_contains "$output" "Operation not permitted"
}

@test "isolation: modprobe and insmod fail" {
	# insmod of a file that is not a module: with the capability the kernel
	# would say "Invalid module format"; without it: not permitted
	bb 'insmod /etc/hostname'
	assert_failure
	assert_contains "$output" "Operation not permitted"
	bb 'modprobe dummy'
	assert_failure
	bb 'rmmod nonexistent_e2e'
	assert_failure
}

@test "isolation: /sys, /proc/sys, /proc/sysrq-trigger and the cgroup mounts are read-only" {
	bb 'v=$(cat /proc/sys/vm/overcommit_memory); echo $v >/proc/sys/vm/overcommit_memory && echo WROTE'
	assert_failure
	assert_not_contains "$output" WROTE
	assert_contains "$output" "Read-only file system"
	bb 'awk '"'"'$2 == "/sys" || $2 == "/proc/sys" || $2 == "/proc/sysrq-trigger" || $3 == "cgroup" || $3 == "cgroup2" { split($4, o, ","); print $2, o[1] }'"'"' /proc/self/mounts'
	assert_status 0
	assert_contains "$output" "/sys ro"
	assert_contains "$output" "/proc/sys ro"
	if grep -v ' ro$' <<<"$output"; then
		echo "read-write mounts above (all must be ro)" >&2
		return 1
	fi
	# opening for writing (nothing is written) fails
	bb 'for f in /proc/sysrq-trigger /proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe /sys/kernel/uevent_helper; do
		[ -e "$f" ] || continue
		if (: 1<>"$f") 2>/dev/null; then echo "WRITABLE $f"; fi
	done; echo checked'
	assert_status 0
	assert_eq "$output" checked "files opened for writing"
	# no cgroup can be created under any cgroup mount of the container
	bb 'awk '"'"'$3 == "cgroup" || $3 == "cgroup2" { print $2 }'"'"' /proc/self/mounts >/tmp/cg
		while read -r m; do mkdir "$m/e2e-x" 2>/dev/null && echo "CREATED $m/e2e-x"; done </tmp/cg
		echo "checked $(wc -l </tmp/cg)"'
	assert_status 0
	assert_match "$output" '^checked [1-9][0-9]*$' "cgroups created (none may be)"
}

@test "isolation: masked paths (/proc/kcore, keys, timer_list, ..., /sys/firmware) are /dev/null or empty" {
	bb 'for p in /proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
		if [ -c "$p" ]; then echo "$p char $(stat -c "%t:%T" "$p") $(wc -c <"$p")"
		elif [ -d "$p" ]; then echo "$p dir $(ls -A "$p" | wc -l)"
		elif [ -e "$p" ]; then echo "$p FILE $(stat -c %s "$p")"
		fi
	done'
	assert_status 0
	local l bad=
	while read -r l; do
		case $l in
		*" char 1:3 0") ;;
		*" dir 0") ;;
		*) bad+="$l; " ;;
		esac
	done <<<"$output"
	assert_eq "$bad" "" "paths not masked"
	# those the host has are there, masked (not simply missing)
	local p
	for p in /proc/keys /proc/timer_list /sys/firmware; do
		[ -e "$p" ] || continue
		assert_contains "$output" "$p " "masked $p present"
	done
}

@test "isolation (CVE-2024-21626): only fds 0, 1, 2 are open in the container process and in exec" {
	local n
	bb 'ls /proc/self/fd | tr "\n" " "'
	assert_status 0
	# 3 is the directory ls has open
	assert_eq "$output" "0 1 2 3 " "fds of a container process"
	n=$(cname)
	sleeper "$n"
	run dk exec "$n" sh -c 'ls /proc/self/fd | tr "\n" " "'
	assert_eq "$output" "0 1 2 3 " "fds of an exec'd process"
	run dk exec "$n" sh -c 'ls /proc/1/fd | tr "\n" " "'
	assert_eq "$output" "0 1 2 " "fds of pid 1 (sleep)"
	run dk exec -t "$n" sh -c 'echo $(ls /proc/self/fd)'
	assert_eq "${output%$'\r'}" "0 1 2 3" "fds of exec -t"
	# what the fds are: pipes or /dev/null, nothing of the host
	run dk exec "$n" sh -c 'for f in 0 1 2; do readlink /proc/1/fd/$f; done'
	if grep -vE '^(pipe:\[[0-9]+\]|/dev/null|socket:\[[0-9]+\]|/dev/pts/[0-9]+)$' <<<"$output"; then
		echo "pid 1's stdio is something else: $output" >&2
		return 1
	fi
}

@test "devices: docker's default /dev; a mknod'ed host disk or /dev/mem cannot be opened" {
	local dev maj min
	bb 'ls /dev | tr "\n" " "'
	assert_status 0
	local d
	for d in $output; do
		case $d in
		console | core | fd | full | mqueue | null | ptmx | pts | random | shm | stderr | stdin | stdout | tty | urandom | zero) ;;
		*)
			echo "unexpected /dev/$d in a default container: $output" >&2
			return 1
			;;
		esac
	done
	# MKNOD is in the default set, but the device cgroup refuses the open
	bb 'mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem >/dev/null && echo READ-MEM'
	assert_failure
	assert_not_contains "$output" READ-MEM
	assert_contains "$output" "Operation not permitted"
	dev=$(awk '$2 == "/" && $1 ~ /^\/dev\// { print $1; exit }' /proc/mounts)
	if [ -n "$dev" ] && [ -b "$dev" ]; then
		maj=$((0x$(stat -c %t "$dev")))
		min=$((0x$(stat -c %T "$dev")))
		bb "mknod /tmp/disk b $maj $min && head -c 1 /tmp/disk >/dev/null && echo READ-DISK"
		assert_failure
		assert_not_contains "$output" READ-DISK
		assert_contains "$output" "Operation not permitted"
	fi
}

@test "no-new-privileges: off by default (as dockerd), on with --security-opt no-new-privileges" {
	bb 'grep NoNewPrivs /proc/self/status'
	assert_eq "$(tr -s '\t' ' ' <<<"$output")" "NoNewPrivs: 0" default
	bb 'grep NoNewPrivs /proc/self/status' --security-opt no-new-privileges
	assert_eq "$(tr -s '\t' ' ' <<<"$output")" "NoNewPrivs: 1" "--security-opt no-new-privileges"
	bb 'grep NoNewPrivs /proc/self/status' --security-opt no-new-privileges=true
	assert_eq "$(tr -s '\t' ' ' <<<"$output")" "NoNewPrivs: 1" "--security-opt no-new-privileges=true"
	local n
	n=$(cname)
	sleeper "$n" --security-opt no-new-privileges
	run dk exec "$n" grep NoNewPrivs /proc/self/status
	assert_eq "$(tr -s '\t' ' ' <<<"$output")" "NoNewPrivs: 1" "exec'd process"
	assert_eq "$(insp "$n" '{{json .HostConfig.SecurityOpt}}')" '["no-new-privileges"]' HostConfig.SecurityOpt
}

@test "seccomp: docker's default profile is on (Seccomp: 2) and refuses unshare(CLONE_NEWUSER); unconfined turns it off" {
	bb 'grep -E "^Seccomp:" /proc/self/status; unshare -U true && echo USERNS'
	assert_eq "$(tr -s '\t' ' ' <<<"${lines[0]}")" "Seccomp: 2" "Seccomp mode"
	assert_not_contains "$output" USERNS "user namespace created"
	bb 'grep -E "^Seccomp:" /proc/self/status' --security-opt seccomp=unconfined
	assert_eq "$(tr -s '\t' ' ' <<<"$output")" "Seccomp: 0" "seccomp=unconfined"
}

# ================================================================== CVEs
@test "CVE-2019-5736: processes in the container cannot open the runtime's binary for writing through /proc/<pid>/exe" {
	local n before after i
	before=$(runtime_binaries | xargs -r sha256sum)
	[ -n "$before" ] || skip "no runtime binaries found to watch"
	n=$(cname)
	# For every process that appears in the container (the runtime's helper
	# during an exec, as runc's was), hold its exe open and try to reopen it
	# for writing until the helper is gone, as the exploit did; never write.
	run_ready "$n" busybox sh -c '
		echo ready
		while :; do
			for d in /proc/[0-9]*; do
				p=${d#/proc/}
				[ "$p" = 1 ] && continue
				[ "$p" = $$ ] && continue
				exe=$(readlink "$d/exe" 2>/dev/null) || continue
				[ "$exe" = /bin/busybox ] && continue
				echo "saw $p $exe"
				(
					exec 3<"$d/exe" || exit 0
					i=0
					while [ $i -lt 300 ]; do
						case $exe in
						/memfd:*)
							# a sealed in-memory copy may be opened, never written
							if (printf x 1<>/proc/self/fd/3) 2>/dev/null; then echo "WROTE-TO $p $exe"; exit 0; fi ;;
						*)
							if (: 1<>/proc/self/fd/3) 2>/dev/null; then echo "OPENED-FOR-WRITE $p $exe"; exit 0; fi ;;
						esac
						i=$((i + 1))
					done
				) 2>/dev/null
			done
		done'
	for i in $(seq 20); do
		dk exec "$n" true
	done
	# the exec'd process' own exe is the container's file
	assert_eq "$(dk exec "$n" readlink /proc/self/exe)" /bin/busybox "exe of an exec'd process"
	run dk logs "$n"
	if grep -E "OPENED-FOR-WRITE|WROTE-TO" <<<"$output"; then
		echo "a process in the container could open a host binary for writing" >&2
		return 1
	fi
	after=$(runtime_binaries | xargs -r sha256sum)
	assert_eq "$after" "$before" "runtime binaries' sha256"
	assert_eq "$(insp "$n" '{{.State.Running}}')" true "hostile container still running"
}

@test "CVE-2019-5736: with --init, pid 1's binary cannot be opened for writing from the container" {
	local before after
	before=$(runtime_binaries | xargs -r sha256sum)
	bb 'readlink /proc/1/exe; if (: 1<>/proc/1/exe) 2>/dev/null; then echo OPENED-FOR-WRITE; fi; exec 3</proc/1/exe && if (: 1<>/proc/self/fd/3) 2>/dev/null; then echo OPENED-FD-FOR-WRITE; fi; echo checked' --init
	assert_status 0
	assert_eq "${lines[-1]}" checked
	assert_not_contains "$output" OPENED
	after=$(runtime_binaries | xargs -r sha256sum)
	assert_eq "$after" "$before" "runtime binaries' sha256"
}

@test "CVE-2024-21626: docker run -w /proc/self/fd/N fails or stays inside the container" {
	local fd
	for fd in 3 4 5 6 7 8 9 10 11 12; do
		capture dk run --rm --name "$(cname "fd$fd")" --hostname e2e-inside -w "/proc/self/fd/$fd" busybox \
			sh -c 'cat ../../../../../../../../../etc/hostname'
		if [ "$status" = 0 ]; then
			assert_eq "$output" e2e-inside "-w /proc/self/fd/$fd: /etc/hostname reached from the cwd"
		else
			assert_not_contains "$output" "$(hostname)" "-w /proc/self/fd/$fd output"
		fi
	done
}

@test "CVE-2024-21626: an image whose WorkingDir is /proc/self/fd/7 fails or stays inside" {
	local img=e2e-fdcwd:$RUN_ID
	craft_image "$img" '.config.WorkingDir = "/proc/self/fd/7"'
	capture dk run --rm --name "$(cname)" --hostname e2e-inside "$img" sh -c 'cat ../../../../../../../../../etc/hostname'
	if [ "$status" = 0 ]; then
		assert_eq "$output" e2e-inside "/etc/hostname reached from the image's WorkingDir"
	fi
}

@test "CVE-2024-21626: docker exec -w /proc/self/fd/N fails or stays inside the container" {
	local n fd
	n=$(cname)
	sleeper "$n" --hostname e2e-inside
	for fd in 3 4 5 6 7 8 9 10 11 12; do
		capture dk exec -w "/proc/self/fd/$fd" "$n" sh -c 'cat ../../../../../../../../../etc/hostname'
		if [ "$status" = 0 ]; then
			assert_eq "$output" e2e-inside "exec -w /proc/self/fd/$fd: /etc/hostname reached from the cwd"
		else
			assert_not_contains "$output" "$(hostname)" "exec -w /proc/self/fd/$fd output"
		fi
	done
	assert_eq "$(insp "$n" '{{.State.Running}}')" true "container still running"
}

@test "CVE-2022-29162 / CVE-2022-24769: inheritable and ambient capabilities are empty in run and exec" {
	local n
	bb 'grep -E "^Cap(Inh|Amb):" /proc/self/status' --cap-add NET_ADMIN
	assert_eq "$(tr -s '\t' ' ' <<<"$output" | tr '\n' ' ')" "CapInh: 0000000000000000 CapAmb: 0000000000000000 " "run"
	n=$(cname)
	sleeper "$n" --cap-add NET_ADMIN
	run dk exec "$n" grep -E '^Cap(Inh|Amb):' /proc/self/status
	assert_eq "$(tr -s '\t' ' ' <<<"$output" | tr '\n' ' ')" "CapInh: 0000000000000000 CapAmb: 0000000000000000 " "exec as root"
	# a non-root exec'd process has no capabilities at all
	run dk exec -u 1000:1000 "$n" grep -E '^Cap(Inh|Prm|Eff|Amb):' /proc/self/status
	assert_eq "$(tr -s '\t' ' ' <<<"$output" | tr '\n' ' ')" \
		"CapInh: 0000000000000000 CapPrm: 0000000000000000 CapEff: 0000000000000000 CapAmb: 0000000000000000 " "exec -u 1000"
}

@test "CVE-2022-0492: no cgroup release_agent can be written, no new user+cgroup namespace to mount one" {
	bb 'for f in /sys/fs/cgroup/*/release_agent /sys/fs/cgroup/release_agent; do
		[ -f "$f" ] || continue
		if (: 1<>"$f") 2>/dev/null; then echo "WRITABLE $f"; fi
	done
	mkdir -p /m
	unshare -UrmC sh -c "mount -t cgroup -o memory e2e /m && echo MOUNTED-CGROUP" 2>&1
	mount -t cgroup -o memory e2e /m 2>&1 && echo MOUNTED-CGROUP
	echo checked'
	assert_eq "${lines[-1]}" checked
	assert_not_contains "$output" WRITABLE
	assert_not_contains "$output" MOUNTED-CGROUP
}

@test "CVE-2019-14271: docker cp does not load libraries from the container" {
	local n
	n=$(cname)
	run_ready "$n" busybox sh -c '
		for d in /lib /lib64 /lib/x86_64-linux-gnu /lib/aarch64-linux-gnu /usr/lib /usr/lib/x86_64-linux-gnu; do
			mkdir -p $d
			for l in libnss_files.so.2 libnss_dns.so.2 libnss_compat.so.2 libc.so.6 libpthread.so.0; do
				echo "not an ELF: e2e" >$d/$l
			done
		done
		echo ready; sleep 1000'
	run dk cp "$n:/etc/passwd" "$T/passwd"
	assert_status 0
	assert_eq "$(cat "$T/passwd")" "$(dk exec "$n" cat /etc/passwd)" "copied /etc/passwd"
	echo hello >"$T/in.txt"
	run dk cp "$T/in.txt" "$n:/tmp/in.txt"
	assert_status 0
	assert_eq "$(dk exec "$n" cat /tmp/in.txt)" hello "copied in"
}

@test "CVE-2018-15664: docker cp racing a symlink swap inside the container stays inside" {
	local n i marker=e2e-race-$RUN_ID
	n=$(cname)
	mkdir -p "$T/outside"
	printf 'host secret\n' >"$T/outside/secret"
	echo pwned >"$T/in.txt"
	# /w flips between a directory, a link to a host path and a link to /
	run_ready "$n" busybox sh -c "echo ready; while :; do
		rm -rf /w; mkdir /w; rm -rf /w; ln -s '$T/outside' /w; rm -f /w; ln -s / /w; rm -f /w
	done"
	for i in $(seq 30); do
		dk cp "$T/in.txt" "$n:/w/$marker" >/dev/null 2>&1 || true
		if dk cp "$n:/w/secret" - 2>/dev/null | tar -xO 2>/dev/null | grep -q 'host secret'; then
			echo "read the host's secret through the racing link" >&2
			return 1
		fi
	done
	if [ -e "/$marker" ]; then
		rm -f "/$marker"
		echo "docker cp wrote to the host's /" >&2
		return 1
	fi
	assert_eq "$(cd "$T/outside" && find . | sort | tr '\n' ' ')" ". ./secret " "host dir after the race"
	assert_eq "$(cat "$T/outside/secret")" "host secret"
}

@test "CVE-2020-15257: no abstract unix socket of the engine is reachable from a --network host container" {
	bb 'cat /proc/net/unix' --network host
	assert_status 0
	local bad
	bad=$(awk '$NF ~ /^@/ { print $NF }' <<<"$output" | grep -Ei 'containerd|shim|berth|monitor|docker|runc' || true)
	assert_eq "$bad" "" "engine abstract sockets seen from a --network host container"
}

@test "CVE-2021-41091: unprivileged host users cannot reach a container's files or log" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	local n id root logp
	n=$(cname)
	sleeper "$n"
	dk exec "$n" sh -c 'echo inside >/e2e-file'
	id=$(insp "$n" '{{.Id}}')
	root=$(insp "$n" '{{with .GraphDriver.Data}}{{.MergedDir}}{{end}}' 2>/dev/null || true)
	if [ -z "$root" ] || [ "$root" = "<no value>" ]; then
		is_peer && skip "the peer does not say where the container's root is"
		root=$DATA/containers/$id/rootfs
	fi
	[ -f "$root/e2e-file" ] || { echo "the container's root is not at $root" >&2; return 1; }
	run setpriv --reuid=65534 --regid=65534 --clear-groups -- cat "$root/e2e-file"
	assert_failure
	run setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$root/bin/busybox"
	assert_failure
	logp=$(insp "$n" '{{.LogPath}}')
	if [ -n "$logp" ] && [ -f "$logp" ]; then
		run setpriv --reuid=65534 --regid=65534 --clear-groups -- cat "$logp"
		assert_failure
	fi
}

@test "CVE-2019-19921 / CVE-2023-27561: a bind mount onto an image's symlink to /proc does not cover /proc" {
	local img=e2e-procsym:$RUN_ID
	mkdir -p "$T/layer" "$T/vol"
	ln -s /proc "$T/layer/evil"
	echo volume >"$T/vol/marker"
	craft_image "$img" . "$T/layer"
	run dk run --rm --name "$(cname)" -v "$T/vol:/evil" "$img" sh -c 'grep -c "^Name:" /proc/self/status; stat -c "%t:%T" /proc/keys; test -e /proc/marker && echo COVERED'
	if [ "$status" = 0 ]; then
		assert_eq "${lines[0]}" 1 "/proc/self/status readable"
		assert_eq "${lines[1]}" 1:3 "/proc/keys still masked"
		assert_not_contains "$output" COVERED
	else
		# dockerd/runc: '... cannot be mounted because it is not of type proc'
		assert_contains "$output" "proc"
	fi
	assert_eq "$(cat "$T/vol/marker")" volume "volume content"
}

@test "CVE-2025-31133 / CVE-2025-52565: a /dev/null or /dev/console swapped for a symlink does not unmask /proc after a restart" {
	local n
	n=$(cname)
	sleeper "$n"
	dk exec "$n" sh -c 'rm -f /dev/null && ln -s /proc/sys/kernel/core_pattern /dev/null; rm -f /dev/console; ln -s /proc/sysrq-trigger /dev/console'
	dk restart -t 1 "$n" >/dev/null
	wait_state "$n" running
	run dk exec "$n" sh -c 'stat -c "%n %F %t:%T" /dev/null /proc/keys /proc/timer_list 2>/dev/null
		for f in /proc/sys/kernel/core_pattern /proc/sysrq-trigger /dev/console; do
			[ -e "$f" ] || continue
			if (: 1<>"$f") 2>/dev/null; then echo "WRITABLE $f"; fi
		done; echo checked'
	assert_eq "${lines[-1]}" checked
	assert_not_contains "$output" WRITABLE
	assert_contains "$output" "/dev/null character special file 1:3"
	local l
	for l in "${lines[@]}"; do
		case $l in
		/proc/*) assert_match "$l" ' character special file 1:3$' "masked path after restart" ;;
		esac
	done
	# with a tty, /dev/console is the container's pty
	bb 'stat -c "%F %t" /dev/console' -t
	assert_eq "$output" "character special file 88"$'\r' "/dev/console of a -t container (a pts, major 136)"
}

@test "CVE-2025-52881: dangerous /proc files stay unwritable, also through symlinks and /proc/self/root" {
	bb 'ln -s /proc/sysrq-trigger /tmp/l1; ln -s /proc/sys/kernel/core_pattern /tmp/l2
		for f in /tmp/l1 /tmp/l2 /proc/self/root/proc/sysrq-trigger /proc/1/root/proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe /proc/sys/fs/binfmt_misc/register; do
			[ -e "$f" ] || continue
			if (: 1<>"$f") 2>/dev/null; then echo "WRITABLE $f"; fi
		done
		for a in current exec; do
			f=/proc/self/attr/$a
			[ -e "$f" ] || continue
			printf "e2e" >"$f" 2>/dev/null && echo "WROTE $f"
		done; echo checked'
	assert_eq "${lines[-1]}" checked
	assert_not_contains "$output" WRITABLE
	assert_not_contains "$output" WROTE
}

@test "CVE-2019-16884: the container runs under an AppArmor profile when AppArmor is on" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		skip "AppArmor is not enabled on this host"
	fi
	bb 'cat /proc/self/attr/current'
	assert_status 0
	assert_not_contains "$output" unconfined "AppArmor label"
}
