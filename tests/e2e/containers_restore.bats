#!/usr/bin/env bats
# Live restore (issue 4, DESIGN.md "Processes"): containers outlive the
# daemon. After `kill -9` of berth (kill_daemon_hard) and a start on the same
# data root, the running containers are adopted: still running with the same
# Pid, `docker ps`, `logs` (old lines and new ones), `exec`, `stop` and
# `wait` work on them; one that exited while the daemon was down shows
# Exited with its code. Live restore is berth's default (as
# `"live-restore": true` in daemon.json would be for dockerd).
#
# berth only: the whole file is skipped with E2E_PEER_HOST (it kills and
# starts the daemon). Each test ends with the daemon running; ctr_setup
# restarts one a failed test left dead.

load helpers
load images_helpers
load containers_helpers

setup_file() {
	if is_peer; then
		ctr_skip_all "berth only (kills and restarts the daemon); running against the peer $E2E_PEER_HOST"
		return 0
	fi
	ctr_setup_file
}
teardown_file() { ctr_teardown_file; }
setup() { ctr_setup; }
teardown() { ctr_teardown; }

# crash_and_restart: kill -9 the daemon, then start it on the same env (same
# flags, data root, exec root, socket).
crash_and_restart() {
	kill_daemon_hard
	start_env_daemon
}

pid_alive() { kill -0 "$1" 2>/dev/null && ! proc_gone "$1"; }

last_tick() { dk logs "$1" 2>/dev/null | awk '/^tick / { n = $2 } END { print n + 0 }'; }
ticks_past() { [ "$(last_tick "$1")" -gt "$2" ]; }

@test "restore: 5 running containers survive kill -9 of the daemon; ps, logs, exec, stop and wait work after the restart" {
	local i n names=() pids=() started=() before
	for i in 1 2 3; do
		n=$(cname "sleep$i")
		names+=("$n")
		sleeper "$n"
	done
	for i in 4 5; do
		n=$(cname "log$i")
		names+=("$n")
		dk run -d --name "$n" busybox sh -c 'i=0; while :; do echo "tick $i"; i=$((i + 1)); sleep 0.2; done' >/dev/null
		wait_log "$n" "tick 1"
	done
	for n in "${names[@]}"; do
		pids+=("$(insp "$n" '{{.State.Pid}}')")
		started+=("$(insp "$n" '{{.State.StartedAt}}')")
	done
	kill_daemon_hard
	# the containers do not depend on the daemon process
	for i in "${!names[@]}"; do
		pid_alive "${pids[i]}" || { echo "${names[i]} (pid ${pids[i]}) died with the daemon" >&2; return 1; }
	done
	before=$(last_tick "${names[3]}")
	start_env_daemon
	run dk ps --filter "name=$CT_PREFIX" --format '{{.Names}} {{.State}}'
	assert_status 0
	assert_eq "$(sort <<<"$output")" "$(for n in "${names[@]}"; do echo "$n running"; done | sort)" "ps after the restart"
	for i in "${!names[@]}"; do
		assert_eq "$(insp "${names[i]}" '{{.State.Running}} {{.State.Pid}} {{.State.StartedAt}}')" \
			"true ${pids[i]} ${started[i]}" "State of ${names[i]} after the restart"
		run dk exec "${names[i]}" echo "exec-$i"
		assert_status 0
		assert_eq "$output" "exec-$i" "exec into ${names[i]}"
	done
	# logs: the lines from before the crash, and new ones keep coming
	run dk logs "${names[3]}"
	assert_eq "${lines[0]}" "tick 0" "first log line of ${names[3]}"
	wait_for 30 ticks_past "${names[4]}" "$(last_tick "${names[4]}")" ||
		{ echo "no new log lines from ${names[4]} after the restart" >&2; return 1; }
	wait_for 30 ticks_past "${names[3]}" "$before"
	# wait (started before the stop) and stop
	(dk wait "${names[0]}" >"$T/wait.out" 2>&1) 3>&- &
	local wpid=$!
	run dk stop -t 1 "${names[0]}"
	assert_status 0
	wait_for 30 proc_gone "$wpid" || { kill "$wpid"; echo "docker wait did not return after stop" >&2; return 1; }
	assert_eq "$(cat "$T/wait.out")" 137 "docker wait after docker stop"
	assert_eq "$(insp "${names[0]}" '{{.State.Status}} {{.State.ExitCode}}')" "exited 137" "State after stop"
	pid_alive "${pids[0]}" && { echo "the process of ${names[0]} is still alive after stop" >&2; return 1; }
	run dk stop -t 1 "${names[@]:1}"
	assert_status 0
	for i in 1 2 3 4; do
		assert_eq "$(insp "${names[i]}" '{{.State.Status}}')" exited "State of ${names[i]} after stop"
		wait_for 10 proc_gone "${pids[i]}" || { echo "process ${pids[i]} of ${names[i]} survived stop" >&2; return 1; }
	done
}

@test "restore: a container that exits while the daemon is down shows Exited with its code after the restart" {
	local n pid
	n=$(cname)
	run_ready "$n" busybox sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	pid=$(insp "$n" '{{.State.Pid}}')
	kill_daemon_hard
	kill -TERM "$pid"
	wait_for 30 proc_gone "$pid" || { echo "container process $pid did not exit on SIGTERM" >&2; return 1; }
	start_env_daemon
	wait_state "$n" exited
	assert_eq "$(insp "$n" '{{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}')" "false 7 0" "State after the restart"
	assert_match "$(insp "$n" '{{.State.FinishedAt}}')" '^[0-9]{4}-' FinishedAt
	[ "$(insp "$n" '{{.State.FinishedAt}}')" != 0001-01-01T00:00:00Z ] || { echo "FinishedAt not set" >&2; return 1; }
	run dk wait "$n"
	assert_status 0
	assert_eq "$output" 7 "docker wait"
	run dk ps -a --filter "name=$n" --format '{{.Status}}'
	assert_match "$output" '^Exited \(7\) ' "ps -a"
	run dk logs "$n"
	assert_eq "$output" ready "logs kept"
	# and it starts again
	run dk start "$n"
	assert_status 0
	wait_state "$n" running
}

@test "restore: containers that were stopped before the crash keep their state, exit code and logs" {
	local a b
	a=$(cname exited)
	b=$(cname created)
	dk run --name "$a" busybox sh -c 'echo bye; exit 5' >/dev/null || true
	dk create --name "$b" --label e2e.k=v busybox true >/dev/null
	crash_and_restart
	assert_eq "$(insp "$a" '{{.State.Status}} {{.State.ExitCode}}')" "exited 5" "exited container"
	assert_eq "$(dk logs "$a")" bye "its logs"
	assert_eq "$(insp "$b" '{{.State.Status}} {{json .Config.Labels}}')" 'created {"e2e.k":"v"}' "created container"
	run dk start -a "$b"
	assert_status 0
}

@test "restore: names survive the crash (409 on reuse); new containers can be created and run" {
	local n id
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	crash_and_restart
	run dk run -d --name "$n" busybox true
	assert_status 125
	assert_contains "$output" "Conflict. The container name \"/$n\" is already in use by container \"$id\""
	run dk run --rm --name "$(cname new)" busybox echo after-restart
	assert_status 0
	assert_eq "$output" after-restart
}

@test "restore: a --rm container is removed when it exits after the restart" {
	local n id pid
	n=$(cname)
	id=$(dk run -d --rm --name "$n" busybox sleep 1000)
	wait_state "$n" running
	pid=$(insp "$n" '{{.State.Pid}}')
	crash_and_restart
	assert_eq "$(insp "$n" '{{.State.Pid}}')" "$pid" "Pid after the restart"
	dk kill "$n" >/dev/null
	gone() { ! dk inspect "$1" >/dev/null 2>&1; }
	wait_for 30 gone "$id" || { echo "--rm container still there after it exited: $(insp "$id" '{{json .State}}')" >&2; return 1; }
}

@test "restore: a --restart always container that died while the daemon was down is started again" {
	local n pid
	n=$(cname)
	sleeper "$n" --restart always
	pid=$(insp "$n" '{{.State.Pid}}')
	kill_daemon_hard
	kill -KILL "$pid"
	wait_for 30 proc_gone "$pid"
	start_env_daemon
	new_pid() { local p; p=$(insp "$1" '{{.State.Running}} {{.State.Pid}}'); [ "${p%% *}" = true ] && [ "${p#* }" != "$2" ]; }
	wait_for 60 new_pid "$n" "$pid" || { echo "not restarted: $(insp "$n" '{{json .State}}')" >&2; return 1; }
}

@test "restore: a clean stop (SIGTERM) of the daemon leaves containers running; they are adopted on start" {
	local n pid
	n=$(cname)
	sleeper "$n"
	pid=$(insp "$n" '{{.State.Pid}}')
	stop_daemon
	pid_alive "$pid" || { echo "the container was stopped with the daemon (live restore is the default)" >&2; return 1; }
	start_env_daemon
	assert_eq "$(insp "$n" '{{.State.Running}} {{.State.Pid}}')" "true $pid" "State after the restart"
	run dk exec "$n" echo adopted
	assert_eq "$output" adopted
}

@test "restore: kill -9 twice in a row, the second right after the restart: still consistent" {
	local n pid
	n=$(cname)
	sleeper "$n"
	pid=$(insp "$n" '{{.State.Pid}}')
	crash_and_restart
	crash_and_restart
	assert_eq "$(insp "$n" '{{.State.Running}} {{.State.Pid}}')" "true $pid" "State after two crashes"
	run dk ps --filter "name=$n" -q
	assert_eq "$(wc -l <<<"$output")" 1 "listed once"
	dk stop -t 1 "$n" >/dev/null
	wait_for 10 proc_gone "$pid"
}

# A container is prepared right after its create (its monitor creates it
# and waits for the start); none of it may outlive a crash of the daemon.
@test "restore: kill -9 of the daemon right after a create: the prepared monitor goes, the container starts after the restart" {
	local n id
	n=$(cname)
	id=$(dk create --name "$n" busybox echo after-crash)
	wait_for 10 has_monitor "$id" ||
		{ echo "no prepared monitor for $id" >&2; return 1; }
	kill_daemon_hard
	wait_for 10 no_monitor "$id" ||
		{ echo "the prepared monitor of $id outlived the daemon" >&2; return 1; }
	start_env_daemon
	assert_eq "$(insp "$n" '{{.State.Status}}')" created "State after the restart"
	run dk start -a "$n"
	assert_status 0
	assert_eq "$output" after-crash
}

@test "restore: runtime dirs of containers that are gone are removed at start; the exec root's tmpfs is kept" {
	berth_only "berth's exec root"
	local n id stray
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	stray=$EXEC/containers/$(printf 'f%.0s' $(seq 64))
	mkdir -p "$stray/exec" && echo '{}' >"$stray/exit.json"
	crash_and_restart
	[ ! -e "$stray" ] || { echo "the stray runtime dir $stray is left" >&2; return 1; }
	[ -f "$EXEC/containers/$id/config.json" ] || { echo "the running container's runtime dir went" >&2; return 1; }
	assert_eq "$(grep -c " $EXEC tmpfs " /proc/self/mounts)" 1 "one tmpfs on the exec root"
	run dk exec "$n" echo still-here
	assert_eq "$output" still-here
}
