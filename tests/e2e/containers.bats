#!/usr/bin/env bats
# Containers through the real docker CLI (issue 4), with curl where the CLI
# hides the API (status codes, bodies): run/create/start/stop/kill/restart/
# wait/rm/prune, ps and its filters, inspect, logs, interactive sessions
# (tmux), exec, cp, export, diff, top, stats, rename, pause, update, and the
# resource and isolation flags of `docker run`. dockerd's behaviour is the
# reference for every expectation: the whole file runs against a peer with
# E2E_PEER_HOST=unix:///... (see containers_helpers.bash).
#
# Needs the busybox fixture (registry on 127.0.0.1:5000 as docker.io
# mirror). Every test names its containers with cname and they are removed
# in teardown; no test depends on another. Waits poll with a bound; no
# timing is asserted.

bats_require_minimum_version 1.5.0

load helpers
load images_helpers
load containers_helpers

setup_file() { ctr_setup_file; }
teardown_file() { ctr_teardown_file; }
setup() { ctr_setup; }
teardown() { ctr_teardown; }

RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'
ZERO_TIME=0001-01-01T00:00:00Z

# ================================================================== run
@test "run --rm busybox echo hi prints hi and leaves no container" {
	local n
	n=$(cname)
	run dk run --rm --name "$n" busybox echo hi
	assert_status 0
	assert_eq "$output" hi
	# --rm: the container is gone once run returns (the daemon removes it;
	# the CLI waits for that before exiting)
	wait_for 10 bash -c "! '$DOCKER' -H 'unix://$SOCK' inspect '$n' >/dev/null 2>&1" ||
		{ echo "container $n still exists after run --rm" >&2; return 1; }
	run dk ps -a -q --filter "name=$n"
	assert_eq "$output" "" "ps -a after run --rm"
}

@test "run: the command's exit status is docker run's (sh -c 'exit 3'); State says exited 3" {
	local n
	n=$(cname)
	run dk run --name "$n" busybox sh -c 'exit 3'
	assert_status 3
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}}')" "exited false 3" State
	assert_match "$(insp "$n" '{{.State.FinishedAt}}')" "$RFC3339" FinishedAt
	[ "$(insp "$n" '{{.State.FinishedAt}}')" != "$ZERO_TIME" ]
	run dk run --rm busybox false
	assert_status 1
}

@test "run: a missing binary exits 127 with docker's message; the container stays Created with ExitCode 127" {
	local n m
	n=$(cname)
	run -127 dk run --name "$n" busybox nosuch-e2e
	assert_status 127
	assert_contains "$output" 'exec: "nosuch-e2e": executable file not found in $PATH'
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.ExitCode}}')" "created 127" "State of a container whose start failed"
	assert_contains "$(insp "$n" '{{.State.Error}}')" "executable file not found"
	assert_eq "$(insp "$n" '{{.State.StartedAt}}')" "$ZERO_TIME" StartedAt
	# an absolute path that does not exist
	m=$(cname abs)
	run -127 dk run --name "$m" busybox /nosuch/e2e
	assert_status 127
	assert_contains "$output" 'no such file or directory'
	# the API: POST /start answers 400 with the same message
	api POST "/containers/$n/start"
	assert_eq "$HTTP_STATUS" 400 "start status"
	assert_contains "$(json_get .message)" 'exec: "nosuch-e2e": executable file not found in $PATH'
}

@test "run: a file that is not executable exits 126 ('permission denied')" {
	local n
	n=$(cname)
	run dk run --name "$n" busybox /etc/passwd
	assert_status 126
	assert_contains "$output" 'exec: "/etc/passwd": permission denied'
	assert_eq "$(insp "$n" '{{.State.ExitCode}}')" 126 ExitCode
}

@test "run -d prints the 64-hex id; inspect: same Id, Name '/name', running" {
	local n id
	n=$(cname)
	run dk run -d --name "$n" busybox sleep 1000
	assert_status 0
	id=$output
	is_hex64 "$id" || { echo "not a 64-hex id: '$id'" >&2; return 1; }
	assert_eq "$(insp "$n" '{{.Id}}')" "$id" Id
	assert_eq "$(insp "$n" '{{.Name}}')" "/$n" Name
	assert_eq "$(insp "$n" '{{.State.Running}}')" true State.Running
	# by ID, by unique ID prefix
	assert_eq "$(insp "$id" '{{.Name}}')" "/$n" "inspect by id"
	assert_eq "$(insp "${id:0:12}" '{{.Name}}')" "/$n" "inspect by short id"
	# without --name: a generated name, still unique (adjective_surname)
	run dk run -d busybox sleep 1000
	assert_status 0
	track "$output"
	assert_match "$(insp "$output" '{{.Name}}')" '^/[a-z]+_[a-z]+[0-9]*$' "generated name"
}

@test "run --name twice: 409 Conflict with docker's message (CLI and API)" {
	local n id msg
	n=$(cname)
	id=$(dk run -d --name "$n" busybox sleep 1000)
	msg="Conflict. The container name \"/$n\" is already in use by container \"$id\". You have to remove (or rename) that container to be able to reuse that name."
	run dk run -d --name "$n" busybox true
	assert_status 125
	assert_contains "$output" "$msg"
	run dk create --name "$n" busybox true
	assert_failure
	assert_contains "$output" "$msg"
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","Cmd":["true"]}'
	assert_eq "$HTTP_STATUS" 409 status
	assert_eq "$(json_get .message)" "$msg" message
	# the name stays with the first container
	assert_eq "$(insp "$n" '{{.Id}}')" "$id" "owner of the name"
}

@test "create + start + wait: Created, then it runs, wait prints the exit code" {
	local n id
	n=$(cname)
	run dk create --name "$n" busybox sh -c 'exit 4'
	assert_status 0
	id=$output
	is_hex64 "$id" || { echo "create did not print a 64-hex id: $id" >&2; return 1; }
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}')" "created false 0 0" State
	assert_eq "$(insp "$n" '{{.State.StartedAt}}')" "$ZERO_TIME" StartedAt
	run dk start "$n"
	assert_status 0
	assert_eq "$output" "$n" "start prints the name given"
	run dk wait "$n"
	assert_status 0
	assert_eq "$output" 4 "wait"
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.ExitCode}}')" "exited 4" State
	assert_match "$(insp "$n" '{{.State.StartedAt}}')" "$RFC3339" StartedAt
	# start -a: attach, the exit status is the container's
	run dk start -a "$n"
	assert_status 4
}

@test "api: create 201 {Id, Warnings: []}; start of a running container 304, stop of a stopped one 304" {
	local n id
	n=$(cname)
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","Cmd":["sleep","1000"]}'
	assert_eq "$HTTP_STATUS" 201 "create status"
	id=$(json_get .Id)
	is_hex64 "$id" || { echo "create answered $HTTP_BODY" >&2; return 1; }
	assert_eq "$(json_get '.Warnings | type')" array "Warnings type (never null)"
	api POST "/containers/$n/start"
	assert_eq "$HTTP_STATUS" 204 "first start"
	api POST "/containers/$n/start"
	assert_eq "$HTTP_STATUS" 304 "start of a running container"
	assert_eq "$HTTP_BODY" "" "304 body"
	run dk start "$n"
	assert_status 0
	assert_eq "$output" "$n" "CLI start of a running container"
	api POST "/containers/$n/kill"
	assert_eq "$HTTP_STATUS" 204 "kill"
	wait_state "$n" exited
	api POST "/containers/$n/stop"
	assert_eq "$HTTP_STATUS" 304 "stop of a stopped container"
	run dk stop "$n"
	assert_status 0
	assert_eq "$output" "$n" "CLI stop of a stopped container"
	# unknown containers
	api POST "/containers/e2e-nope-$RUN_ID/start"
	assert_eq "$HTTP_STATUS" 404 "start of a missing container"
	assert_eq "$(json_get .message)" "No such container: e2e-nope-$RUN_ID" message
}

@test "api: create with an image the engine does not have: 404 'No such image'" {
	api_json POST "/containers/create?name=$(cname)" "{\"Image\":\"$FIXTURE_REGISTRY/e2e-nope-$RUN_ID:1\"}"
	assert_eq "$HTTP_STATUS" 404 status
	assert_eq "$(json_get .message)" "No such image: $FIXTURE_REGISTRY/e2e-nope-$RUN_ID:1" message
	# the CLI then tries to pull it (from the loopback registry) and fails
	run dk run --rm "$FIXTURE_REGISTRY/e2e-nope-$RUN_ID:1" true
	assert_status 125
	assert_contains "$output" "Unable to find image '$FIXTURE_REGISTRY/e2e-nope-$RUN_ID:1' locally"
}

@test "api: create and update with wrong field types or line breaks: 400, nothing created" {
	berth_only "berth's wording; dockerd's JSON decoder words these differently"
	local n
	n=$(cname)
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","HostConfig":{"Memory":"lots"}}'
	assert_eq "$HTTP_STATUS" 400 "Memory as a string"
	assert_eq "$(json_get .message)" "invalid HostConfig.Memory: must be an integer" message
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","Env":"A=1"}'
	assert_eq "$HTTP_STATUS" 400 "Env as a string"
	api_json POST "/containers/create?name=$n" \
		'{"Image":"busybox","HostConfig":{"ExtraHosts":["a:127.0.0.2\n1.2.3.4 evil"]}}'
	assert_eq "$HTTP_STATUS" 400 "a line break in --add-host"
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","Hostname":"a\nb"}'
	assert_eq "$HTTP_STATUS" 400 "a line break in the hostname"
	run dk inspect "$n"
	assert_failure
	dk create --name "$n" busybox true >/dev/null
	api_json POST "/containers/$n/update" '{"CpuShares":"many"}'
	assert_eq "$HTTP_STATUS" 400 "update with a string"
	assert_eq "$(insp "$n" '{{.HostConfig.CpuShares}}')" 0 "nothing applied"
}

@test "api: wait answers {StatusCode, Error: null} when the container exits; 404 for a missing one" {
	local n out=$T/wait.json pid
	n=$(cname)
	run_ready "$n" busybox sh -c 'echo ready; while [ ! -f /go ]; do sleep 0.1; done; exit 6'
	(curl -sS --max-time 60 --unix-socket "$SOCK" -X POST -o "$out" \
		"http://localhost/containers/$n/wait") 3>&- &
	pid=$!
	dk exec "$n" touch /go
	wait_for 60 proc_gone "$pid" || { kill "$pid"; echo "wait did not answer" >&2; return 1; }
	jq -e '.StatusCode == 6 and has("Error")' "$out" >/dev/null ||
		{ echo "wait answered: $(cat "$out")" >&2; return 1; }
	# on an exited container wait answers at once
	api POST "/containers/$n/wait"
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(json_get .StatusCode)" 6 StatusCode
	api POST "/containers/e2e-nope-$RUN_ID/wait"
	assert_eq "$HTTP_STATUS" 404 "wait on a missing container"
}

@test "stop: SIGTERM first (a trap exits 7); stop prints the name" {
	local n
	n=$(cname)
	run_ready "$n" busybox sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	run dk stop "$n"
	assert_status 0
	assert_eq "$output" "$n"
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.ExitCode}}')" "exited 7" State
	run dk logs "$n"
	assert_contains "$output" "got TERM"
}

@test "stop -t 1: a process that ignores SIGTERM is killed (137); the API takes ?t=" {
	local n m
	n=$(cname)
	# sh as PID 1 without a handler ignores SIGTERM
	run_ready "$n" busybox sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
	run dk stop -t 1 "$n"
	assert_status 0
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}')" "exited 137 false" State
	m=$(cname api)
	sleeper "$m"
	api POST "/containers/$m/stop?t=1"
	assert_eq "$HTTP_STATUS" 204 "stop status"
	assert_eq "$(insp "$m" '{{.State.Status}} {{.State.ExitCode}}')" "exited 137" "State after API stop"
}

@test "--stop-signal: docker stop sends it; Config.StopSignal" {
	local n
	n=$(cname)
	run_ready "$n" --stop-signal USR1 busybox sh -c 'trap "echo got USR1; exit 9" USR1; echo ready; while :; do sleep 0.1; done'
	assert_eq "$(insp "$n" '{{.Config.StopSignal}}')" USR1 Config.StopSignal
	run dk stop "$n"
	assert_status 0
	assert_eq "$(insp "$n" '{{.State.ExitCode}}')" 9 ExitCode
	run dk logs "$n"
	assert_contains "$output" "got USR1"
}

@test "kill -s USR1 delivers the signal; kill without -s exits 137; kill of a stopped container is 409" {
	local n id
	n=$(cname)
	run_ready "$n" busybox sh -c 'trap "echo got USR1" USR1; trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done'
	id=$(insp "$n" '{{.Id}}')
	run dk kill -s USR1 "$n"
	assert_status 0
	assert_eq "$output" "$n"
	wait_log "$n" "got USR1"
	api POST "/containers/$n/kill?signal=SIGHUP"
	assert_eq "$HTTP_STATUS" 204 "kill?signal=SIGHUP"
	wait_log "$n" "got HUP"
	assert_eq "$(insp "$n" '{{.State.Running}}')" true "still running after USR1 and HUP"
	api POST "/containers/$n/kill?signal=NOPE"
	assert_eq "$HTTP_STATUS" 400 "kill with an invalid signal"
	assert_eq "$(json_get .message)" "Invalid signal: NOPE" message
	run dk kill "$n"
	assert_status 0
	wait_state "$n" exited
	assert_eq "$(insp "$n" '{{.State.ExitCode}}')" 137 ExitCode
	api POST "/containers/$n/kill"
	assert_eq "$HTTP_STATUS" 409 "kill of a stopped container"
	assert_match "$(json_get .message)" "[Cc]ontainer $id is not running" message
}

@test "restart: a new process (Pid, StartedAt change), same Id; RestartCount stays 0" {
	local n id pid1 st1
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	pid1=$(insp "$n" '{{.State.Pid}}')
	st1=$(insp "$n" '{{.State.StartedAt}}')
	run dk restart -t 1 "$n"
	assert_status 0
	assert_eq "$output" "$n"
	wait_state "$n" running
	assert_eq "$(insp "$n" '{{.Id}}')" "$id" Id
	[ "$(insp "$n" '{{.State.Pid}}')" != "$pid1" ] || { echo "same Pid after restart" >&2; return 1; }
	[ "$(insp "$n" '{{.State.StartedAt}}')" != "$st1" ] || { echo "same StartedAt after restart" >&2; return 1; }
	assert_eq "$(insp "$n" '{{.RestartCount}}')" 0 "RestartCount (a manual restart does not count)"
	# restart of a stopped container starts it
	dk kill "$n" >/dev/null
	wait_state "$n" exited
	run dk restart "$n"
	assert_status 0
	wait_state "$n" running
}

@test "rm of a running container fails with docker's 409; rm -f removes it; then 404" {
	local n id
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	run dk rm "$n"
	assert_failure
	# dockerd 20.10: "You cannot remove a running container <id>. Stop the
	# container before attempting removal or force remove"; 25+: "cannot
	# remove container "/<name>": container is running: stop the container
	# before removing or force remove"
	assert_match "$output" '([Yy]ou cannot remove a running container|cannot remove container).*force remove' "rm error"
	api DELETE "/containers/$n"
	assert_eq "$HTTP_STATUS" 409 "DELETE of a running container"
	assert_eq "$(insp "$n" '{{.State.Running}}')" true "still running"
	run dk rm -f "$n"
	assert_status 0
	assert_eq "$output" "$n"
	run dk inspect "$n"
	assert_failure
	api GET "/containers/$id/json"
	assert_eq "$HTTP_STATUS" 404 "inspect after rm -f"
	assert_eq "$(json_get .message)" "No such container: $id" message
	# rm of a stopped container, through the API: 204
	n=$(cname stopped)
	dk create --name "$n" busybox true >/dev/null
	api DELETE "/containers/$n"
	assert_eq "$HTTP_STATUS" 204 "DELETE of a created container"
	api DELETE "/containers/$n"
	assert_eq "$HTTP_STATUS" 404 "DELETE again"
}

@test "container prune -f --filter label=: removes the stopped ones it matches, only them" {
	local a b r o ida idb
	a=$(cname a)
	b=$(cname b)
	r=$(cname running)
	o=$(cname other)
	dk run --name "$a" --label "e2e.prune=$CT_PREFIX" busybox true
	dk create --name "$b" --label "e2e.prune=$CT_PREFIX" busybox true >/dev/null
	sleeper "$r" --label "e2e.prune=$CT_PREFIX"
	dk run --name "$o" busybox true
	ida=$(insp "$a" '{{.Id}}')
	idb=$(insp "$b" '{{.Id}}')
	run dk container prune -f --filter "label=e2e.prune=$CT_PREFIX"
	assert_status 0
	assert_eq "${lines[0]}" "Deleted Containers:" "first line"
	assert_eq "$(printf '%s\n' "${lines[@]}" | grep -xE '[0-9a-f]{64}' | sort)" "$(printf '%s\n' "$ida" "$idb" | sort)" "deleted ids"
	assert_match "${lines[-1]}" '^Total reclaimed space: [0-9.]+[kMG]?B$' "last line"
	run dk inspect "$a"
	assert_failure
	run dk inspect "$b"
	assert_failure
	assert_eq "$(insp "$r" '{{.State.Running}}')" true "running container kept"
	assert_eq "$(insp "$o" '{{.State.Status}}')" exited "unlabelled container kept"
	# nothing left to prune
	run dk container prune -f --filter "label=e2e.prune=$CT_PREFIX"
	assert_status 0
	assert_eq "$output" "Total reclaimed space: 0B"
}

# ================================================================== ps
# ps_setup: a running (label e2e.k=v), an exited (3) and a created container.
ps_setup() {
	R=$(cname running)
	E=$(cname exited)
	C=$(cname created)
	sleeper "$R" --label e2e.k=v
	dk run --name "$E" --label e2e.k=w busybox sh -c 'exit 3' || true
	dk create --name "$C" busybox true >/dev/null
	RID=$(insp "$R" '{{.Id}}')
	EID=$(insp "$E" '{{.Id}}')
	CID=$(insp "$C" '{{.Id}}')
}

# psn ARGS...: the names `docker ps ARGS` lists among this test's, sorted.
psn() { dk ps --filter "name=$CT_PREFIX" --format '{{.Names}}' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

@test "ps / ps -a / -q / --no-trunc list the right containers" {
	ps_setup
	assert_eq "$(psn)" "$R" "ps (running only)"
	assert_eq "$(psn -a)" "$C $E $R" "ps -a"
	run dk ps -q --filter "name=$CT_PREFIX"
	assert_status 0
	assert_eq "$output" "${RID:0:12}" "ps -q"
	run dk ps -aq --no-trunc --filter "name=$CT_PREFIX"
	assert_eq "$(sort <<<"$output")" "$(printf '%s\n' "$RID" "$EID" "$CID" | sort)" "ps -aq --no-trunc"
	run dk ps
	assert_status 0
	assert_match "${lines[0]}" '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$' header
	assert_contains "$output" "$R"
	assert_not_contains "$output" "$E"
	# -n 1 / -l: the newest one, stopped or not
	run dk ps -l -q --no-trunc --filter "name=$CT_PREFIX"
	assert_status 0
	assert_eq "$output" "$CID" "ps -l"
}

@test "ps --filter status=, name=, label=, ancestor=, id=, exited=" {
	ps_setup
	assert_eq "$(psn -a --filter status=exited)" "$E" status=exited
	assert_eq "$(psn -a --filter status=created)" "$C" status=created
	assert_eq "$(psn -a --filter status=running)" "$R" status=running
	assert_eq "$(psn -a --filter status=exited --filter status=created)" "$C $E" "two status values (or)"
	# (psn filters on the test's name prefix already: a second name filter
	# would be or'ed with it)
	assert_eq "$(dk ps -a --filter "name=$E" --format '{{.Names}}')" "$E" "name=<full name>"
	assert_eq "$(psn -a --filter label=e2e.k)" "$E $R" "label=key"
	assert_eq "$(psn -a --filter label=e2e.k=v)" "$R" "label=key=value"
	assert_eq "$(psn -a --filter label=e2e.k=nope)" "" "label=key=other"
	assert_eq "$(psn -a --filter ancestor=busybox)" "$C $E $R" "ancestor=busybox"
	assert_eq "$(psn -a --filter "ancestor=$(dk image inspect -f '{{.Id}}' busybox)")" "$C $E $R" "ancestor=<image id>"
	assert_eq "$(psn -a --filter "id=$EID")" "$E" "id=<full id>"
	assert_eq "$(psn -a --filter "id=${EID:0:12}")" "$E" "id=<prefix>"
	assert_eq "$(psn -a --filter exited=3)" "$E" exited=3
	assert_eq "$(psn -a --filter exited=0)" "" exited=0
	# filters of different keys combine with and
	assert_eq "$(psn -a --filter label=e2e.k --filter status=running)" "$R" "label and status"
	# bad filters: 400 with dockerd's message (20.10 capitalises it, newer
	# releases do not)
	run dk ps --filter nope=1
	assert_failure
	assert_contains "${output,,}" "invalid filter 'nope'"
	api GET /containers/json -G --data-urlencode 'filters={"status":["nope"]}'
	assert_eq "$HTTP_STATUS" 400 "status=nope"
	assert_eq "$(json_get .message | tr I i)" "invalid filter 'status=nope'" message
}

@test "ps --format: {{.Names}} {{.Status}}, .ID, .Image, .Command, .State, .Label" {
	ps_setup
	run dk ps -a --filter "name=$CT_PREFIX" --format '{{.Names}} {{.Status}}'
	assert_status 0
	assert_match "$(grep "^$R " <<<"$output")" "^$R Up " "running line"
	assert_match "$(grep "^$E " <<<"$output")" "^$E Exited \\(3\\) .* ago$" "exited line"
	assert_eq "$(grep "^$C " <<<"$output")" "$C Created" "created line"
	run dk ps --filter "name=$R" --format '{{.ID}}|{{.Image}}|{{.Command}}|{{.State}}|{{.Label "e2e.k"}}|{{.Labels}}'
	assert_status 0
	assert_eq "$output" "${RID:0:12}|busybox|\"sleep 1000\"|running|v|e2e.k=v"
	run dk ps -a --filter "name=$E" --format '{{.State}}'
	assert_eq "$output" exited "State of the exited one"
	run dk ps -a --filter "name=$C" --format '{{json .}}'
	assert_status 0
	assert_eq "$(jq -r '.Names + " " + .State + " " + .Image' <<<"$output")" "$C created busybox" "json"
}

@test "api: GET /containers/json entries carry docker's fields" {
	ps_setup
	api GET /containers/json -G --data-urlencode all=1 --data-urlencode "filters={\"name\":[\"$CT_PREFIX\"]}"
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(json_get length)" 3 entries
	local r
	r=$(jq -c --arg id "$RID" '.[] | select(.Id == $id)' <<<"$HTTP_BODY")
	[ -n "$r" ] || { echo "running container not listed: $HTTP_BODY" >&2; return 1; }
	assert_eq "$(jq -c .Names <<<"$r")" "[\"/$R\"]" Names
	assert_eq "$(jq -r .Image <<<"$r")" busybox Image
	assert_eq "$(jq -r .ImageID <<<"$r")" "$(dk image inspect -f '{{.Id}}' busybox)" ImageID
	assert_eq "$(jq -r .Command <<<"$r")" "sleep 1000" Command
	assert_eq "$(jq -r .State <<<"$r")" running State
	assert_match "$(jq -r .Status <<<"$r")" '^Up ' Status
	assert_eq "$(jq -c .Labels <<<"$r")" '{"e2e.k":"v"}' Labels
	assert_eq "$(jq -r '.Created | type' <<<"$r")" number "Created type"
	assert_eq "$(jq -r '.Ports | type' <<<"$r")" array "Ports type"
	assert_eq "$(jq -r '.Mounts | type' <<<"$r")" array "Mounts type"
	assert_eq "$(jq -r '.HostConfig.NetworkMode | type' <<<"$r")" string "HostConfig.NetworkMode"
	assert_eq "$(jq -r '.NetworkSettings.Networks | type' <<<"$r")" object "NetworkSettings.Networks"
	r=$(jq -c --arg id "$EID" '.[] | select(.Id == $id)' <<<"$HTTP_BODY")
	assert_eq "$(jq -r .State <<<"$r")" exited "exited State"
	assert_match "$(jq -r .Status <<<"$r")" '^Exited \(3\) ' "exited Status"
	assert_eq "$(jq -c .Labels <<<"$r")" '{"e2e.k":"w"}' "exited Labels"
	# without all=1 only the running one
	api GET /containers/json -G --data-urlencode "filters={\"name\":[\"$CT_PREFIX\"]}"
	assert_eq "$(json_c '[.[].Id]')" "[\"$RID\"]" "running only"
}

# ================================================================== inspect
@test "inspect: State fields are never null; Name has a leading '/'; top-level fields" {
	local n id
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	local j
	j=$(cjson "$n")
	jq -e --arg n "/$n" --arg id "$id" '
		.Id == $id and .Name == $n and (.Created | type) == "string"
		and .Path == "sleep" and .Args == ["1000"]
		and (.Image | startswith("sha256:")) and .RestartCount == 0
		and (.Config | type) == "object" and (.HostConfig | type) == "object"
		and (.NetworkSettings | type) == "object" and (.Mounts | type) == "array"
		and (.LogPath | type) == "string" and (.HostnamePath | type) == "string"
		and (.HostsPath | type) == "string" and (.ResolvConfPath | type) == "string"
		and (.Driver | type) == "string" and .Platform == "linux"
		and (.MountLabel | type) == "string" and (.ProcessLabel | type) == "string"
		and (.AppArmorProfile | type) == "string"' <<<"$j" >/dev/null ||
		{ echo "top-level fields wrong: $j" >&2; return 1; }
	jq -e '.State | .Status == "running" and .Running == true and .Paused == false
		and .Restarting == false and .OOMKilled == false and .Dead == false
		and .Pid > 0 and .ExitCode == 0 and .Error == ""
		and (.StartedAt | type) == "string" and .FinishedAt == "0001-01-01T00:00:00Z"' <<<"$j" >/dev/null ||
		{ echo "State of a running container wrong: $(jq -c .State <<<"$j")" >&2; return 1; }
	assert_match "$(jq -r .State.StartedAt <<<"$j")" "$RFC3339" StartedAt
	assert_match "$(jq -r .Created <<<"$j")" "$RFC3339" Created
	# the State.Pid is a real process on the host, running sleep
	assert_eq "$(tr '\0' ' ' </proc/"$(jq -r .State.Pid <<<"$j")"/cmdline)" "sleep 1000 " "host /proc/<Pid>/cmdline"
	dk kill "$n" >/dev/null
	wait_state "$n" exited
	j=$(cjson "$n" .State)
	jq -e '.Status == "exited" and .Running == false and .Pid == 0 and .ExitCode == 137
		and (.FinishedAt | type) == "string" and .FinishedAt != "0001-01-01T00:00:00Z"' <<<"$j" >/dev/null ||
		{ echo "State of an exited container wrong: $j" >&2; return 1; }
	assert_match "$(jq -r .FinishedAt <<<"$j")" "$RFC3339" FinishedAt
}

@test "inspect: Config (Env has PATH, the process env has HOSTNAME and HOME; Labels {} or --label; Cmd, Image, Hostname)" {
	local n m id j
	n=$(cname)
	m=$(cname nolabel)
	sleeper "$n" --label a=b --label e2e.x= -e FOO=bar
	id=$(insp "$n" '{{.Id}}')
	j=$(cjson "$n" .Config)
	jq -e '.Env | index("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") != null' <<<"$j" >/dev/null ||
		{ echo "no busybox PATH in Config.Env: $(jq -c .Env <<<"$j")" >&2; return 1; }
	jq -e '.Env | index("FOO=bar") != null' <<<"$j" >/dev/null ||
		{ echo "no FOO=bar in Config.Env: $(jq -c .Env <<<"$j")" >&2; return 1; }
	assert_eq "$(jq -c .Labels <<<"$j")" '{"a":"b","e2e.x":""}' Config.Labels
	assert_eq "$(jq -c .Cmd <<<"$j")" '["sleep","1000"]' Config.Cmd
	assert_eq "$(jq -r .Image <<<"$j")" busybox Config.Image
	assert_eq "$(jq -r .Hostname <<<"$j")" "${id:0:12}" Config.Hostname
	assert_eq "$(jq -r '.Tty, .OpenStdin, .AttachStdin' <<<"$j" | tr '\n' ' ')" "false false false " "Tty OpenStdin AttachStdin"
	# the process' environment: docker adds HOSTNAME (and HOME) at start,
	# not to Config.Env
	run dk exec "$n" sh -c 'tr "\0" "\n" </proc/1/environ | sort'
	assert_status 0
	assert_contains "$output" "HOSTNAME=${id:0:12}"
	assert_contains "$output" "HOME=/root"
	assert_contains "$output" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	assert_contains "$output" "FOO=bar"
	# no label at all: {} (busybox has none), not null
	dk create --name "$m" busybox >/dev/null
	assert_eq "$(cjson "$m" .Config.Labels)" '{}' "Config.Labels without labels"
	assert_eq "$(cjson "$m" .Config.Cmd)" '["sh"]' "Config.Cmd from the image"
}

@test "inspect: HostConfig fields from the flags (Memory, CpuShares, NanoCpus, PidsLimit, RestartPolicy, ...)" {
	local n m j
	n=$(cname)
	m=$(cname defaults)
	dk create --name "$n" -m 32m --cpu-shares 512 --cpus 0.5 --pids-limit 50 --restart on-failure:3 \
		--read-only --add-host a:127.0.0.2 --ulimit nofile=1024:1024 --cap-add NET_ADMIN --cap-drop CHOWN \
		--init --tmpfs /run:size=1m --log-opt max-size=1m busybox true >/dev/null
	j=$(cjson "$n" .HostConfig)
	assert_eq "$(jq -r .Memory <<<"$j")" 33554432 Memory
	assert_eq "$(jq -r .MemorySwap <<<"$j")" 67108864 "MemorySwap (twice Memory by default)"
	assert_eq "$(jq -r .CpuShares <<<"$j")" 512 CpuShares
	assert_eq "$(jq -r .NanoCpus <<<"$j")" 500000000 NanoCpus
	assert_eq "$(jq -r .PidsLimit <<<"$j")" 50 PidsLimit
	assert_eq "$(jq -c .RestartPolicy <<<"$j")" '{"Name":"on-failure","MaximumRetryCount":3}' RestartPolicy
	assert_eq "$(jq -r .ReadonlyRootfs <<<"$j")" true ReadonlyRootfs
	assert_eq "$(jq -c .ExtraHosts <<<"$j")" '["a:127.0.0.2"]' ExtraHosts
	assert_eq "$(jq -c .Ulimits <<<"$j")" '[{"Name":"nofile","Hard":1024,"Soft":1024}]' Ulimits
	assert_eq "$(jq -c .CapAdd <<<"$j")" '["CAP_NET_ADMIN"]' "CapAdd (the CLI normalises the names)"
	assert_eq "$(jq -c .CapDrop <<<"$j")" '["CAP_CHOWN"]' CapDrop
	assert_eq "$(jq -r .Init <<<"$j")" true Init
	assert_eq "$(jq -c .Tmpfs <<<"$j")" '{"/run":"size=1m"}' Tmpfs
	assert_eq "$(jq -c .LogConfig <<<"$j")" '{"Type":"json-file","Config":{"max-size":"1m"}}' LogConfig
	assert_eq "$(jq -r .Privileged <<<"$j")" false Privileged
	# a container without flags: zeros, never null
	dk create --name "$m" busybox true >/dev/null
	j=$(cjson "$m" .HostConfig)
	jq -e '.Memory == 0 and .MemorySwap == 0 and .CpuShares == 0 and .NanoCpus == 0
		and .CpuQuota == 0 and .CpuPeriod == 0 and .ShmSize == 67108864
		and .RestartPolicy == {"Name": "no", "MaximumRetryCount": 0}
		and .LogConfig.Type == "json-file" and .Privileged == false and .ReadonlyRootfs == false
		and .AutoRemove == false and (.NetworkMode | type) == "string"' <<<"$j" >/dev/null ||
		{ echo "HostConfig defaults wrong: $j" >&2; return 1; }
	dk create --name "$(cname rm)" --rm busybox true >/dev/null
	assert_eq "$(insp "$CT_PREFIX-rm" '{{.HostConfig.AutoRemove}}')" true "AutoRemove with --rm"
}

@test "inspect: image labels are merged with --label (an image loaded with labels)" {
	local img=e2e-labelled:$RUN_ID n
	craft_image "$img" '.config.Labels = {"e2e.from-image": "yes", "e2e.both": "image"}'
	n=$(cname)
	dk create --name "$n" --label e2e.both=run --label e2e.run-only=1 "$img" >/dev/null
	assert_eq "$(cjson "$n" '.Config.Labels | to_entries | sort_by(.key) | from_entries')" \
		'{"e2e.both":"run","e2e.from-image":"yes","e2e.run-only":"1"}' "Config.Labels (image merged, --label wins)"
	run dk ps -a --filter "name=$n" --filter label=e2e.from-image=yes --format '{{.Names}}'
	assert_eq "$output" "$n" "label filter on an image label"
}

@test "inspect of a missing container: 404 'No such container'" {
	run dk container inspect "e2e-nope-$RUN_ID"
	assert_failure
	assert_contains "$output" "No such container: e2e-nope-$RUN_ID"
	api GET "/containers/e2e-nope-$RUN_ID/json"
	assert_eq "$HTTP_STATUS" 404 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(json_get .message)" "No such container: e2e-nope-$RUN_ID" message
}

# ================================================================== logs
@test "logs: stdout and stderr are kept apart (docker logs c >out 2>err)" {
	local n
	n=$(cname)
	dk run --name "$n" busybox sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2' >/dev/null 2>&1
	dk logs "$n" >"$T/out" 2>"$T/err"
	assert_eq "$(cat "$T/out")" "$(printf 'out1\nout2')" stdout
	assert_eq "$(cat "$T/err")" "$(printf 'err1\nerr2')" stderr
	# docker run itself (attached) kept them apart too
	n=$(cname attached)
	dk run --name "$n" busybox sh -c 'echo out1; echo err1 >&2' >"$T/out" 2>"$T/err"
	assert_eq "$(cat "$T/out")" out1 "attached stdout"
	assert_eq "$(cat "$T/err")" err1 "attached stderr"
}

@test "logs --tail, -t, --since and --until" {
	local n t
	n=$(cname)
	run_ready "$n" busybox sh -c 'echo one; echo ready; while [ ! -f /go ]; do sleep 0.1; done; echo two; echo three'
	t=$(now_ts)
	dk exec "$n" touch /go
	wait_state "$n" exited
	run dk logs "$n"
	assert_eq "$output" "$(printf 'one\nready\ntwo\nthree')" "all"
	run dk logs --tail 2 "$n"
	assert_eq "$output" "$(printf 'two\nthree')" "--tail 2"
	run dk logs --tail 0 "$n"
	assert_eq "$output" "" "--tail 0"
	run dk logs --since "$t" "$n"
	assert_eq "$output" "$(printf 'two\nthree')" "--since (a time between the two phases)"
	run dk logs --until "$t" "$n"
	assert_eq "$output" "$(printf 'one\nready')" "--until"
	run dk logs -t --tail 1 "$n"
	assert_match "$output" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z three$' "-t"
	api GET "/containers/e2e-nope-$RUN_ID/logs?stdout=1"
	assert_eq "$HTTP_STATUS" 404 "logs of a missing container"
}

@test "logs -f follows and ends by itself when the container exits" {
	local n pid rc
	n=$(cname)
	run_ready "$n" busybox sh -c 'echo first; echo ready; while [ ! -f /go ]; do sleep 0.1; done; echo last'
	(dk logs -f "$n" >"$T/follow" 2>&1) 3>&- &
	pid=$!
	wait_for 30 grep -q first "$T/follow"
	dk exec "$n" touch /go
	if ! wait_for 30 proc_gone "$pid"; then
		kill "$pid" 2>/dev/null
		echo "docker logs -f still running after the container exited: $(cat "$T/follow")" >&2
		return 1
	fi
	rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 0 "logs -f exit status"
	assert_eq "$(cat "$T/follow")" "$(printf 'first\nready\nlast')" "followed output"
}

@test "api: logs is docker's multiplexed stream (stdout frames 1, stderr frames 2)" {
	local n
	n=$(cname)
	dk run --name "$n" busybox sh -c 'echo to-out; echo to-err >&2' >/dev/null 2>&1
	curl -sS --max-time 20 --unix-socket "$SOCK" -o "$T/raw" "http://localhost/containers/$n/logs?stdout=1&stderr=1"
	run python3 - "$T/raw" <<-'EOF'
	import sys, struct
	b = open(sys.argv[1], 'rb').read()
	frames = []
	while b:
	    assert len(b) >= 8, b
	    kind, size = b[0], struct.unpack('>I', b[4:8])[0]
	    assert b[1:4] == b'\0\0\0', b[:8]
	    frames.append((kind, b[8:8 + size].decode()))
	    b = b[8 + size:]
	for f in sorted(frames):
	    print(f[0], f[1].strip())
	EOF
	assert_status 0
	assert_eq "$output" "$(printf '1 to-out\n2 to-err')" frames
	# stdout only
	curl -sS --max-time 20 --unix-socket "$SOCK" -o "$T/raw" "http://localhost/containers/$n/logs?stdout=1"
	assert_eq "$(od -An -tx1 -N1 "$T/raw" | tr -d ' ')" 01 "first frame's stream"
	assert_eq "$(tail -c +9 "$T/raw")" to-out "stdout only"
}

@test "json-file log rotation: --log-opt max-size=1k --log-opt max-file=2" {
	local n id path
	n=$(cname)
	dk run --name "$n" --log-opt max-size=1k --log-opt max-file=2 busybox \
		sh -c 'i=0; while [ $i -lt 200 ]; do echo "line $i padding-padding-padding-padding"; i=$((i+1)); done'
	id=$(insp "$n" '{{.Id}}')
	path=$(insp "$n" '{{.LogPath}}')
	if ! is_peer; then
		assert_eq "$path" "$DATA/containers/$id/$id-json.log" "LogPath under the data root"
	fi
	[ -f "$path" ] || { echo "no log file $path" >&2; return 1; }
	[ -f "$path.1" ] || { echo "no rotated file $path.1: $(ls "$(dirname "$path")")" >&2; return 1; }
	[ ! -e "$path.2" ] || { echo "max-file=2 but $path.2 exists" >&2; return 1; }
	local f sz
	for f in "$path" "$path.1"; do
		sz=$(stat -c %s "$f")
		[ "$sz" -le $((1024 + 200)) ] || { echo "$f is $sz bytes (max-size=1k)" >&2; return 1; }
		# docker's json-file lines: {"log":"...\n","stream":"stdout","time":"..."}
		jq -e -s 'all(.[]; (.log | endswith("\n")) and .stream == "stdout" and (.time | type) == "string")' "$f" >/dev/null ||
			{ echo "$f is not json-file lines: $(head -n 2 "$f")" >&2; return 1; }
	done
	run dk logs "$n"
	assert_status 0
	assert_eq "${lines[-1]}" "line 199 padding-padding-padding-padding" "last line"
	assert_not_contains "$output" "line 0 " "logs after rotation"
	# the lines still there are consecutive, ending at 199
	local first=${lines[0]#line } k
	first=${first%% *}
	for ((k = 0; k < ${#lines[@]}; k++)); do
		assert_eq "${lines[k]}" "line $((first + k)) padding-padding-padding-padding" "line $k"
	done
}

# ================================================================== interactive
@test "run -it busybox sh (tmux): echo \$((6*7)) shows 42; exit 5 is the status" {
	require_tmux
	local n
	n=$(cname)
	cat >"$T/it.sh" <<-EOF
	"$DOCKER" -H "unix://$SOCK" run -it --name "$n" busybox sh
	echo "rc=\$?" >"$T/rc"
	EOF
	tmux_run it "$T/it.sh"
	tmux_wait it '^/ # $'
	tmux_keys it 'echo $((6*7))' Enter
	tmux_wait it '^42$'
	tmux_keys it 'tty' Enter
	tmux_wait it '^/dev/pts/[0-9]+$'
	tmux_keys it 'exit 5' Enter
	wait_for 30 test -s "$T/rc" || { echo "docker run -it did not end; screen: $(tmux_screen it)" >&2; return 1; }
	assert_eq "$(cat "$T/rc")" rc=5 "docker run -it status"
	assert_eq "$(insp "$n" '{{.State.ExitCode}} {{.Config.Tty}} {{.Config.OpenStdin}}')" "5 true true" "ExitCode Tty OpenStdin"
}

@test "exec -it (tmux): echo \$((6*7)) shows 42; exit 5 is the status" {
	require_tmux
	local n
	n=$(cname)
	sleeper "$n"
	cat >"$T/it.sh" <<-EOF
	"$DOCKER" -H "unix://$SOCK" exec -it "$n" sh
	echo "rc=\$?" >"$T/rc"
	EOF
	tmux_run ex "$T/it.sh"
	tmux_wait ex '^/ # $'
	tmux_keys ex 'echo $((6*7))' Enter
	tmux_wait ex '^42$'
	# the terminal size reached the process (tmux window 120x40)
	tmux_keys ex 'stty size' Enter
	tmux_wait ex '^40 120$'
	tmux_keys ex 'exit 5' Enter
	wait_for 30 test -s "$T/rc" || { echo "docker exec -it did not end; screen: $(tmux_screen ex)" >&2; return 1; }
	assert_eq "$(cat "$T/rc")" rc=5 "docker exec -it status"
	assert_eq "$(insp "$n" '{{.State.Running}}')" true "container still running"
}

@test "run -t without -i: the process has a tty, its output comes with CRLF" {
	run dk run --rm -t --name "$(cname)" busybox tty
	assert_status 0
	assert_eq "$output" $'/dev/pts/0\r' "tty output"
}

@test "attach to a container's stdin: run -i with a pipe" {
	run bash -c "printf 'piped line\n' | '$DOCKER' -H 'unix://$SOCK' run -i --rm --name '$(cname)' busybox cat"
	assert_status 0
	assert_eq "$output" "piped line"
}

# ================================================================== exec
@test "exec: exit code, -u, -w, -e, the container's env, stdin, stdout/stderr apart" {
	local n id
	n=$(cname)
	sleeper "$n" -e CVAR=fromrun
	id=$(insp "$n" '{{.Id}}')
	run dk exec "$n" sh -c 'exit 4'
	assert_status 4
	run dk exec -u 1000:1000 "$n" id
	assert_eq "$output" "uid=1000 gid=1000 groups=1000" "-u 1000:1000"
	run dk exec -u nobody "$n" id -un
	assert_eq "$output" nobody "-u nobody"
	run dk exec -w /tmp "$n" pwd
	assert_eq "$output" /tmp "-w /tmp"
	run dk exec -e FOO=bar "$n" sh -c 'echo $FOO $CVAR $HOSTNAME'
	assert_eq "$output" "bar fromrun ${id:0:12}" "-e and the container's env"
	run bash -c "echo piped | '$DOCKER' -H 'unix://$SOCK' exec -i '$n' cat"
	assert_eq "$output" piped "exec -i"
	dk exec "$n" sh -c 'echo o; echo e >&2' >"$T/out" 2>"$T/err"
	assert_eq "$(cat "$T/out")/$(cat "$T/err")" "o/e" "stdout/stderr"
	# the exec'd process is in the container's pid namespace
	run dk exec "$n" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	assert_eq "$output" "sleep 1000 " "pid 1 seen by exec"
}

@test "exec: a missing binary fails (126/127, docker's message); a non-executable file 126" {
	local n
	n=$(cname)
	sleeper "$n"
	# (not `run`: bats would warn about a 127 without `run -127`)
	status=0
	output=$(dk exec "$n" nosuch-e2e 2>&1) || status=$?
	# dockerd 20.10 answers 126 for every exec start failure, 25+ 127 here
	[ "$status" = 127 ] || [ "$status" = 126 ] || { echo "status $status, expected 127 (or 126): $output" >&2; return 1; }
	assert_contains "$output" 'exec: "nosuch-e2e": executable file not found in $PATH'
	run dk exec "$n" /etc/passwd
	assert_status 126
	assert_contains "$output" 'exec: "/etc/passwd": permission denied'
	assert_eq "$(insp "$n" '{{.State.Running}}')" true "container still running"
}

@test "exec into a stopped container fails: 'is not running' (409)" {
	local n id
	n=$(cname)
	dk create --name "$n" busybox sleep 1000 >/dev/null
	id=$(insp "$n" '{{.Id}}')
	run dk exec "$n" true
	assert_failure
	assert_match "$output" "[Cc]ontainer $id is not running" "exec into a created container"
	api_json POST "/containers/$n/exec" '{"Cmd":["true"]}'
	assert_eq "$HTTP_STATUS" 409 "POST exec on a created container"
	assert_match "$(json_get .message)" "[Cc]ontainer $id is not running" message
	dk start "$n" >/dev/null
	dk kill "$n" >/dev/null
	wait_state "$n" exited
	run dk exec "$n" true
	assert_failure
	assert_match "$output" "[Cc]ontainer $id is not running" "exec into an exited container"
}

@test "exec -d runs in the background; api: exec create/start/inspect" {
	local n id eid
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	run dk exec -d "$n" sh -c 'echo bg >/tmp/bg'
	assert_status 0
	assert_eq "$output" "" "exec -d prints nothing"
	wait_for 30 dk exec "$n" test -s /tmp/bg
	assert_eq "$(dk exec "$n" cat /tmp/bg)" bg
	api_json POST "/containers/$n/exec" '{"Cmd":["sh","-c","echo via-api; exit 3"],"AttachStdout":true,"AttachStderr":true}'
	assert_eq "$HTTP_STATUS" 201 "exec create"
	eid=$(json_get .Id)
	is_hex64 "$eid" || { echo "exec create answered $HTTP_BODY" >&2; return 1; }
	api GET "/exec/$eid/json"
	assert_eq "$HTTP_STATUS" 200 "exec inspect"
	assert_eq "$(json_get .Running)" false "Running before start"
	assert_eq "$(json_get .ContainerID)" "$id" ContainerID
	api_json POST "/exec/$eid/start" '{"Detach":false,"Tty":false}'
	assert_eq "$HTTP_STATUS" 200 "exec start"
	assert_contains "$HTTP_BODY" via-api
	api GET "/exec/$eid/json"
	assert_eq "$(json_get '.Running, .ExitCode' | tr '\n' ' ')" "false 3 " "Running ExitCode after"
	assert_eq "$(json_get .ProcessConfig.entrypoint)" sh ProcessConfig.entrypoint
	api GET "/exec/e2e-nope-$RUN_ID/json"
	assert_eq "$HTTP_STATUS" 404 "unknown exec"
	assert_eq "$(json_get .message)" "No such exec instance: e2e-nope-$RUN_ID" message
}

# ================================================================== cp, export, diff
@test "cp a file into and out of a running container (content and mode; to stdout as tar)" {
	local n
	n=$(cname)
	sleeper "$n"
	printf 'hello\n' >"$T/in.txt"
	chmod 640 "$T/in.txt"
	run dk cp "$T/in.txt" "$n:/tmp/in.txt"
	assert_status 0
	assert_eq "$(dk exec "$n" cat /tmp/in.txt)" hello "content inside"
	assert_eq "$(dk exec "$n" stat -c %a /tmp/in.txt)" 640 "mode inside"
	dk exec "$n" sh -c 'echo back >/tmp/out.txt'
	run dk cp "$n:/tmp/out.txt" "$T/out.txt"
	assert_status 0
	assert_eq "$(cat "$T/out.txt")" back "content outside"
	# cp to - writes a tar stream
	assert_eq "$(dk cp "$n:/tmp/out.txt" - | tar -xO)" back "cp to stdout"
	# cp from - reads one
	tar -cf "$T/in.tar" -C "$T" in.txt
	dk cp - "$n:/" <"$T/in.tar"
	assert_eq "$(dk exec "$n" cat /in.txt)" hello "cp from stdin"
	# the archive endpoint's stat header
	api HEAD "/containers/$n/archive?path=/tmp/out.txt"
	assert_eq "$HTTP_STATUS" 200 "HEAD archive"
	assert_eq "$(header X-Docker-Container-Path-Stat | base64 -d | jq -c '{name, size}')" '{"name":"out.txt","size":5}' "path stat"
}

@test "cp a directory both ways" {
	local n
	n=$(cname)
	sleeper "$n"
	mkdir -p "$T/src/sub"
	echo f >"$T/src/f"
	echo g >"$T/src/sub/g"
	dk cp "$T/src" "$n:/tmp/"
	assert_eq "$(dk exec "$n" cat /tmp/src/f /tmp/src/sub/g | tr '\n' ' ')" "f g " "copied in"
	# copying to a path that does not exist names the copy
	dk cp "$T/src" "$n:/tmp/renamed"
	assert_eq "$(dk exec "$n" cat /tmp/renamed/sub/g)" g "copied in under a new name"
	dk exec "$n" sh -c 'mkdir -p /tmp/cdir/deep && echo z >/tmp/cdir/deep/z && echo y >/tmp/cdir/y'
	dk cp "$n:/tmp/cdir" "$T/"
	assert_eq "$(cat "$T/cdir/deep/z") $(cat "$T/cdir/y")" "z y" "copied out"
	mkdir "$T/contents"
	dk cp "$n:/tmp/cdir/." "$T/contents"
	assert_eq "$(cd "$T/contents" && find . | sort | tr '\n' ' ')" ". ./deep ./deep/z ./y " "cdir/. copies the contents"
}

@test "cp into a created, not started container; the process sees the file at start" {
	local n
	n=$(cname)
	dk create --name "$n" busybox cat /in.txt >/dev/null
	printf 'hello\n' >"$T/in.txt"
	run dk cp "$T/in.txt" "$n:/in.txt"
	assert_status 0
	run dk start -a "$n"
	assert_status 0
	assert_eq "$output" hello
	# and out of a stopped one
	run dk cp "$n:/in.txt" "$T/again.txt"
	assert_status 0
	assert_eq "$(cat "$T/again.txt")" hello
}

@test "cp through a symlink inside the container is resolved in the container, not on the host" {
	local n marker=e2e-cp-$RUN_ID
	n=$(cname)
	mkdir -p "$T/outside"
	printf 'host secret\n' >"$T/outside/secret"
	printf 'hello\n' >"$T/in.txt"
	run_ready "$n" busybox sh -c "ln -s / /link; ln -s '$T/outside' /hostlink; echo ready; sleep 1000"
	# write through /link -> /: lands in the container's /, not the host's
	run dk cp "$T/in.txt" "$n:/link/$marker"
	if [ -e "/$marker" ]; then
		rm -f "/$marker"
		echo "docker cp followed a container symlink to the host's /" >&2
		return 1
	fi
	assert_status 0
	assert_eq "$(dk exec "$n" cat "/$marker")" hello "file in the container's /"
	# write through a link to a host path: the path does not exist in the
	# container, so this fails or stays inside; the host dir is untouched
	run dk cp "$T/in.txt" "$n:/hostlink/pwned"
	assert_eq "$(cd "$T/outside" && find . | sort | tr '\n' ' ')" ". ./secret " "host dir after cp into /hostlink"
	# read through them: the container's files, never the host's
	assert_eq "$(dk cp "$n:/link/etc/hostname" - | tar -xO)" "$(insp "$n" '{{.Id}}' | cut -c1-12)" "/link/etc/hostname"
	run dk cp "$n:/hostlink/secret" "$T/got"
	assert_failure
	[ ! -e "$T/got" ] || { echo "read the host's $T/outside/secret through the container: $(cat "$T/got")" >&2; return 1; }
}

@test "cp of a missing path: 'Could not find the file' (404)" {
	local n
	n=$(cname)
	sleeper "$n"
	run dk cp "$n:/nope-e2e" "$T/x"
	assert_failure
	assert_contains "$output" "Could not find the file /nope-e2e in container $n"
	api HEAD "/containers/$n/archive?path=/nope-e2e"
	assert_eq "$HTTP_STATUS" 404 "HEAD archive of a missing path"
	api GET "/containers/$n/archive?path=/nope-e2e"
	assert_eq "$HTTP_STATUS" 404 "GET archive of a missing path"
	# into a directory that does not exist
	echo x >"$T/x"
	run dk cp "$T/x" "$n:/nodir-e2e/x"
	assert_failure
	assert_contains "$output" "Could not find the file /nodir-e2e in container $n"
}

@test "export: the container's filesystem as a tar (bin/busybox, etc/passwd, a file it wrote)" {
	local n
	n=$(cname)
	dk run --name "$n" busybox sh -c 'echo mine >/mine.txt'
	dk export "$n" >"$T/fs.tar"
	run tar -tf "$T/fs.tar"
	assert_status 0
	grep -qxE '(\./)?bin/busybox' <<<"$output" || { echo "no bin/busybox in the export" >&2; return 1; }
	grep -qxE '(\./)?etc/passwd' <<<"$output" || { echo "no etc/passwd in the export" >&2; return 1; }
	assert_eq "$(tar -xOf "$T/fs.tar" mine.txt 2>/dev/null || tar -xOf "$T/fs.tar" ./mine.txt)" mine "mine.txt"
	dk export -o "$T/fs2.tar" "$n"
	tar -tf "$T/fs2.tar" | grep -qE '(\./)?bin/busybox$'
}

@test "diff shows A, C and D lines" {
	local n
	n=$(cname)
	dk run --name "$n" busybox sh -c 'touch /newfile; echo x >>/etc/passwd; rm /etc/group; mkdir -p /newdir/sub'
	run dk diff "$n"
	assert_status 0
	assert_eq "$(sort <<<"$output")" "$(printf '%s\n' 'A /newdir' 'A /newdir/sub' 'A /newfile' 'C /etc' 'C /etc/passwd' 'D /etc/group' | sort)" diff
	# a container that changed nothing: no line
	n=$(cname clean)
	dk run --name "$n" busybox true
	run dk diff "$n"
	assert_status 0
	assert_eq "$output" "" "diff of a container that changed nothing"
}

@test "top: docker's ps table for the container's processes" {
	local n pid
	n=$(cname)
	sleeper "$n"
	pid=$(insp "$n" '{{.State.Pid}}')
	run dk top "$n"
	assert_status 0
	assert_match "${lines[0]}" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$' header
	assert_eq "${#lines[@]}" 2 "lines (header + sleep)"
	assert_match "${lines[1]}" "^root +$pid +[0-9]+ .* sleep 1000\$" "process line"
	api GET "/containers/$n/top"
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(json_c .Titles)" '["UID","PID","PPID","C","STIME","TTY","TIME","CMD"]' Titles
	assert_eq "$(json_get '.Processes[0][1]')" "$pid" "PID column"
	# top of a stopped container: 409
	dk kill "$n" >/dev/null
	wait_state "$n" exited
	api GET "/containers/$n/top"
	assert_eq "$HTTP_STATUS" 409 "top of a stopped container"
}

@test "stats --no-stream: one line for the container; api stats?stream=false" {
	local n id
	n=$(cname)
	sleeper "$n" -m 64m
	id=$(insp "$n" '{{.Id}}')
	run dk stats --no-stream --format '{{.Name}}|{{.MemUsage}}|{{.PIDs}}' "$n"
	assert_status 0
	assert_match "$output" "^$n\\|[0-9.]+[KMG]i?B / 64MiB\\|1\$" "stats line"
	run dk stats --no-stream "$n"
	assert_status 0
	assert_match "${lines[0]}" '^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$' header
	assert_match "${lines[1]}" "^${id:0:12} +$n " "row"
	api GET "/containers/$n/stats?stream=false"
	assert_eq "$HTTP_STATUS" 200 status
	jq -e --arg id "$id" --arg n "/$n" '.id == $id and .name == $n and (.read | type) == "string"
		and .pids_stats.current == 1 and .memory_stats.usage > 0 and .memory_stats.limit == 67108864
		and .cpu_stats.cpu_usage.total_usage > 0 and (.precpu_stats | type) == "object"' <<<"$HTTP_BODY" >/dev/null ||
		{ echo "stats body: $HTTP_BODY" >&2; return 1; }
}

@test "rename: the new name answers, the old one is gone; renaming onto a used name is 409" {
	local a b a2 id
	a=$(cname a)
	b=$(cname b)
	a2=$(cname a2)
	sleeper "$a"
	sleeper "$b"
	id=$(insp "$a" '{{.Id}}')
	run dk rename "$a" "$a2"
	assert_status 0
	assert_eq "$(insp "$a2" '{{.Id}} {{.Name}}')" "$id /$a2" "renamed"
	run dk inspect "$a"
	assert_failure
	run dk ps --filter "name=$a2" --format '{{.Names}}'
	assert_eq "$output" "$a2" "ps shows the new name"
	run dk rename "$a2" "$b"
	assert_failure
	assert_contains "$output" "Conflict. The container name \"/$b\" is already in use by container \"$(insp "$b" '{{.Id}}')\""
	api POST "/containers/$a2/rename?name=$b"
	assert_eq "$HTTP_STATUS" 409 "rename onto a used name"
	# the old name is free again
	sleeper "$a"
}

@test "pause / unpause: State.Paused, ps '(Paused)', exec refused while paused" {
	local n id
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	run dk pause "$n"
	assert_status 0
	assert_eq "$output" "$n"
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.Paused}} {{.State.Running}}')" "paused true true" State
	run dk ps --filter "name=$n" --format '{{.Status}}|{{.State}}'
	assert_match "$output" '^Up .* \(Paused\)\|paused$' "ps while paused"
	run dk exec "$n" true
	assert_failure
	assert_match "$output" "[Cc]ontainer ($n|$id) is paused, unpause the container before exec" "exec while paused"
	api POST "/containers/$n/pause"
	assert_eq "$HTTP_STATUS" 409 "pause of a paused container"
	assert_match "$(json_get .message)" "[Cc]ontainer $id is already paused" message
	run dk unpause "$n"
	assert_status 0
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.Paused}}')" "running false" "State after unpause"
	run dk exec "$n" echo alive
	assert_eq "$output" alive "exec after unpause"
	api POST "/containers/$n/unpause"
	# dockerd (20.10 and current moby) answers a plain error here: 500
	[ "$HTTP_STATUS" = 409 ] || [ "$HTTP_STATUS" = 500 ] ||
		{ echo "unpause of a running container: $HTTP_STATUS, expected 409 (dockerd: 500)" >&2; return 1; }
	assert_match "$(json_get .message)" "[Cc]ontainer $id is not paused" message
}

@test "update --memory/--memory-swap/--cpu-shares/--pids-limit/--restart: inspect and the cgroup" {
	local n
	n=$(cname)
	sleeper "$n" -m 32m
	run dk update --memory 48m "$n"
	assert_status 0
	assert_eq "$(insp "$n" '{{.HostConfig.Memory}}')" 50331648 "Memory after update"
	assert_eq "$(cgroup_file "$n" memory memory.limit_in_bytes memory.max)" 50331648 "memory cgroup limit"
	run dk update --memory 64m --memory-swap 128m --cpu-shares 256 --pids-limit 30 --restart always "$n"
	assert_status 0
	assert_eq "$(insp "$n" '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}')" \
		"67108864 134217728 256 30 always" "HostConfig after update"
	assert_eq "$(cgroup_file "$n" memory memory.limit_in_bytes memory.max)" 67108864 "memory cgroup limit"
	assert_eq "$(cgroup_file "$n" pids pids.max pids.max)" 30 "pids.max"
	api_json POST "/containers/e2e-nope-$RUN_ID/update" '{"Memory":67108864}'
	assert_eq "$HTTP_STATUS" 404 "update of a missing container"
}

# ================================================================== prepared starts
# berth prepares a start right after the create (its monitor creates the
# container and waits); the API must not tell: what happens between create
# and start still counts.
@test "create, update, start: the start applies the limits of the update" {
	local n
	n=$(cname)
	dk create --name "$n" -m 32m busybox sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max' >/dev/null
	run dk update --memory 48m --memory-swap 96m "$n"
	assert_status 0
	run dk start -a "$n"
	assert_status 0
	assert_eq "$output" 50331648 "memory limit seen by the container"
}

@test "create then rm: no monitor, mount or cgroup of the container is left" {
	berth_only "its monitor, mounts and cgroups"
	local n id
	n=$(cname)
	id=$(dk create --name "$n" busybox true)
	wait_for 10 has_monitor "$id" ||
		{ echo "no prepared monitor for $id" >&2; return 1; }
	run dk rm "$n"
	assert_status 0
	wait_for 10 no_monitor "$id" ||
		{ echo "the monitor of $id outlived its removal" >&2; return 1; }
	run grep -c "$id" /proc/self/mountinfo
	assert_eq "$output" 0 "mounts of $id"
	[ ! -e "/sys/fs/cgroup/pids/berth/$id" ] && [ ! -e "/sys/fs/cgroup/berth/$id" ] ||
		{ echo "the cgroup of $id is left" >&2; return 1; }
}

@test "a created container left alone for 10 s lets its prepared monitor go, and still starts" {
	berth_only "its monitor and mounts"
	local n id
	n=$(cname)
	id=$(dk create --name "$n" busybox echo late)
	wait_for 10 has_monitor "$id" ||
		{ echo "no prepared monitor for $id" >&2; return 1; }
	wait_for 30 no_monitor "$id" ||
		{ echo "the prepared monitor of $id is still there" >&2; return 1; }
	run grep -c "$id/rootfs" /proc/self/mountinfo
	assert_eq "$output" 0 "rootfs of an idle created container"
	run dk start -a "$n"
	assert_status 0
	assert_eq "$output" late
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.ExitCode}}')" "exited 0"
}

# cgroup_gone ID: no cgroup of container ID in any hierarchy (v1 or v2)
cgroup_gone() { ! ls -d /sys/fs/cgroup/*/berth/"$1" /sys/fs/cgroup/berth/"$1" >/dev/null 2>&1; }
rootfs_unmounted() { ! grep -q "$1/rootfs" /proc/self/mountinfo; }

@test "after an exit the daemon removes the container's cgroup and unmounts its rootfs; run --rm too" {
	berth_only "its cgroups and mounts"
	local n id
	n=$(cname)
	run dk run --name "$n" busybox true
	assert_status 0
	id=$(insp "$n" '{{.Id}}')
	wait_for 10 cgroup_gone "$id" || { echo "the cgroup of $id is left after its exit" >&2; return 1; }
	wait_for 10 rootfs_unmounted "$id" || { echo "the rootfs of $id is still mounted" >&2; return 1; }
	# and it starts again in a fresh one
	run dk start -a "$n"
	assert_status 0
	wait_for 10 cgroup_gone "$id" || { echo "the cgroup of $id is left after a restart" >&2; return 1; }
	n=$(cname rm)
	run dk run --rm --name "$n" --cidfile "$T/cid" busybox true
	assert_status 0
	id=$(cat "$T/cid")
	wait_for 10 cgroup_gone "$id" || { echo "the cgroup of $id is left after run --rm" >&2; return 1; }
}

# ================================================================== resources
@test "-m 16m with a memory hog: OOMKilled, exit 137" {
	local n
	n=$(cname)
	run dk run --name "$n" -m 16m busybox tail /dev/zero
	assert_status 137
	assert_eq "$(insp "$n" '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}')" "true 137 16777216" "OOMKilled ExitCode Memory"
	# the engine is fine afterwards
	run dk run --rm busybox echo fine
	assert_eq "$output" fine
}

@test "--pids-limit 20: forks past the limit fail inside, the host is fine" {
	local n m
	n=$(cname)
	run dk run --name "$n" --pids-limit 20 busybox sh -c 'for i in $(seq 40); do sleep 1000 & done; echo survived'
	assert_failure
	assert_contains "$output" "can't fork"
	assert_not_contains "$output" survived
	assert_eq "$(insp "$n" '{{.HostConfig.PidsLimit}}')" 20 PidsLimit
	m=$(cname limit)
	sleeper "$m" --pids-limit 20
	assert_eq "$(cgroup_file "$m" pids pids.max pids.max)" 20 "pids.max seen inside"
	run dk run --rm busybox echo fine
	assert_eq "$output" fine "a container after the fork storm"
}

@test "--read-only refuses writes; --tmpfs /run stays writable" {
	run dk run --rm --name "$(cname ro)" --read-only busybox touch /x
	assert_failure
	assert_contains "$output" "Read-only file system"
	run dk run --rm --name "$(cname tmpfs)" --read-only --tmpfs /run busybox sh -c 'touch /run/x && echo ok; grep " /run " /proc/mounts'
	assert_status 0
	assert_eq "${lines[0]}" ok
	assert_match "${lines[1]}" '^tmpfs /run tmpfs rw,' "/run mount"
	run dk run --rm --name "$(cname opts)" --tmpfs /run:size=1m,mode=1770 busybox sh -c 'stat -c %a /run; df -k /run | tail -n 1'
	assert_status 0
	assert_eq "${lines[0]}" 1770 "tmpfs mode"
	assert_match "${lines[1]}" '^tmpfs +1024 ' "tmpfs size"
}

@test "--cpus 0.5: NanoCpus, the CFS quota; --cpu-shares: the weight" {
	local n
	n=$(cname)
	sleeper "$n" --cpus 0.5 --cpu-shares 512
	assert_eq "$(insp "$n" '{{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}}')" "500000000 512" "NanoCpus CpuShares"
	run cgroup_file "$n" cpu cpu.cfs_quota_us cpu.max
	assert_match "$output" '^50000( 100000)?$' "CFS quota"
	run cgroup_file "$n" cpu cpu.shares cpu.weight
	[ "$output" = 512 ] || [ "$output" = 20 ] || { echo "cpu.shares/cpu.weight is $output" >&2; return 1; }
}

@test "--ulimit nofile=1024:1024 shows in ulimit -n" {
	run dk run --rm --name "$(cname)" --ulimit nofile=1024:1024 --ulimit nproc=500:600 busybox sh -c 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'
	assert_status 0
	assert_eq "$(tr '\n' ' ' <<<"$output")" "1024 1024 500 600 " "nofile soft/hard, nproc soft/hard"
}

@test "capabilities: docker's default set; --cap-add/--cap-drop show in /proc/self/status" {
	run dk run --rm --name "$(cname def)" busybox grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
	assert_status 0
	assert_eq "$(tr -s '\t' ' ' <<<"$output" | tr '\n' ' ')" \
		"CapInh: 0000000000000000 CapPrm: 00000000a80425fb CapEff: 00000000a80425fb CapBnd: 00000000a80425fb CapAmb: 0000000000000000 " \
		"default capabilities"
	run dk run --rm --name "$(cname add)" --cap-add NET_ADMIN --cap-drop CHOWN busybox grep CapEff /proc/self/status
	assert_eq "$(tr -s '\t' ' ' <<<"$output")" "CapEff: 00000000a80435fa" "+NET_ADMIN -CHOWN"
	run dk run --rm --name "$(cname all)" --cap-drop ALL --cap-add CHOWN busybox grep CapEff /proc/self/status
	assert_eq "$(tr -s '\t' ' ' <<<"$output")" "CapEff: 0000000000000001" "ALL dropped, CHOWN added"
	# and they act: chown needs CAP_CHOWN
	run dk run --rm --name "$(cname chown)" busybox sh -c 'touch /tmp/f && chown nobody /tmp/f && echo ok'
	assert_eq "$output" ok "chown with the default set"
	run dk run --rm --name "$(cname nochown)" --cap-drop CHOWN busybox sh -c 'touch /tmp/f && chown nobody /tmp/f'
	assert_failure
	assert_contains "$output" "Operation not permitted"
	# --cap-add SYS_ADMIN: docker's seccomp profile then allows mount
	run dk run --rm --name "$(cname sysadmin)" --cap-add SYS_ADMIN busybox sh -c 'mkdir /m && mount -t tmpfs e2e /m && echo mounted'
	assert_status 0
	assert_eq "$output" mounted "mount with CAP_SYS_ADMIN"
}

@test "--privileged can mount; it has every capability and no seccomp filter" {
	if is_peer && ! host_has_all_caps; then
		skip "this host lacks a capability (CapEff $(awk '/^CapEff/ {print $2}' /proc/self/status)): runc cannot grant the full set --privileged asks for ('unable to apply caps')"
	fi
	local dev
	# the host's root block device, to look for in the container's /dev
	dev=$(awk '$2 == "/" && $1 ~ /^\/dev\// { print $1; exit }' /proc/mounts)
	[ -n "$dev" ] && [ -b "$dev" ] || dev=/dev/null
	run dk run --rm --name "$(cname)" --privileged busybox sh -c "mkdir /m && mount -t tmpfs e2e /m && echo mounted; grep -E '^(CapEff|Seccomp):' /proc/self/status; test -e $dev && echo hostdev"
	assert_status 0
	assert_eq "${lines[0]}" mounted
	assert_eq "$(tr -s '\t' ' ' <<<"${lines[1]}")" "CapEff: $(awk '/^CapEff/ {print $2}' /proc/self/status)" "CapEff (the daemon's own set)"
	assert_eq "$(tr -s '\t' ' ' <<<"${lines[2]}")" "Seccomp: 0" Seccomp
	assert_eq "${lines[3]:-}" hostdev "the host's $dev in /dev"
}

@test "--user 1000:1000 and --user nobody: id; files are created as that user" {
	run dk run --rm --name "$(cname num)" --user 1000:1000 busybox sh -c 'id; touch /tmp/f; stat -c %u:%g /tmp/f'
	assert_status 0
	assert_eq "${lines[0]}" "uid=1000 gid=1000 groups=1000" id
	assert_eq "${lines[1]}" 1000:1000 "owner of a new file"
	run dk run --rm --name "$(cname named)" --user nobody busybox id
	assert_eq "$output" "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" "--user nobody"
	run dk run --rm --name "$(cname unknown)" --user e2e-no-such-user busybox id
	assert_failure
	assert_contains "$output" "e2e-no-such-user"
}

@test "--workdir: the process starts there (created if missing); Config.WorkingDir" {
	local n
	n=$(cname)
	run dk run --name "$n" --workdir /tmp/wd busybox pwd
	assert_status 0
	assert_eq "$output" /tmp/wd
	assert_eq "$(insp "$n" '{{.Config.WorkingDir}}')" /tmp/wd Config.WorkingDir
}

@test "--entrypoint replaces the image's; Config.Entrypoint and Cmd" {
	local n
	n=$(cname)
	run dk run --name "$n" --entrypoint echo busybox hello world
	assert_status 0
	assert_eq "$output" "hello world"
	assert_eq "$(cjson "$n" '[.Config.Entrypoint, .Config.Cmd]')" '[["echo"],["hello","world"]]' "Entrypoint, Cmd"
	assert_eq "$(insp "$n" '{{.Path}} {{json .Args}}')" 'echo ["hello","world"]' "Path Args"
	run dk run --rm --name "$(cname sh)" --entrypoint /bin/sh busybox -c 'echo $0'
	assert_eq "$output" /bin/sh "entrypoint with arguments"
}

@test "-e and --env-file: the process environment and Config.Env" {
	local n
	n=$(cname)
	printf 'C=3\n# a comment\nD=four words\n\nE_FROM_HOST\n' >"$T/env"
	E2E_B=from-host E_FROM_HOST=also-host run dk run --name "$n" -e A=1 -e E2E_B -e E2E_UNSET_VAR --env-file "$T/env" busybox env
	assert_status 0
	assert_contains "$output" "A=1"
	assert_contains "$output" "E2E_B=from-host"
	assert_contains "$output" "C=3"
	assert_contains "$output" "D=four words"
	assert_contains "$output" "E_FROM_HOST=also-host"
	assert_not_contains "$output" "E2E_UNSET_VAR"
	assert_not_contains "$output" "a comment"
	local env
	env=$(cjson "$n" .Config.Env)
	jq -e 'index("A=1") and index("D=four words") and index("E2E_B=from-host")' <<<"$env" >/dev/null ||
		{ echo "Config.Env: $env" >&2; return 1; }
}

@test "--hostname: hostname and /etc/hostname; the default is the short id" {
	local n id
	n=$(cname)
	run dk run --name "$n" --hostname e2e-host busybox sh -c 'hostname; cat /etc/hostname'
	assert_status 0
	assert_eq "$(tr '\n' ' ' <<<"$output")" "e2e-host e2e-host " "hostname, /etc/hostname"
	assert_eq "$(insp "$n" '{{.Config.Hostname}}')" e2e-host Config.Hostname
	n=$(cname default)
	dk run --name "$n" busybox hostname >"$T/h"
	id=$(insp "$n" '{{.Id}}')
	assert_eq "$(cat "$T/h")" "${id:0:12}" "default hostname"
}

@test "--add-host a:127.0.0.2 lands in /etc/hosts; localhost is there" {
	local n
	n=$(cname)
	dk run --name "$n" --add-host a:127.0.0.2 --add-host b.example:127.0.0.3 busybox cat /etc/hosts >"$T/hosts"
	grep -qE $'^127\\.0\\.0\\.2\ta$' "$T/hosts" || { echo "no '127.0.0.2<TAB>a' in /etc/hosts: $(cat "$T/hosts")" >&2; return 1; }
	grep -qE $'^127\\.0\\.0\\.3\tb\\.example$' "$T/hosts" || { echo "no b.example in /etc/hosts: $(cat "$T/hosts")" >&2; return 1; }
	grep -qE $'^127\\.0\\.0\\.1\tlocalhost' "$T/hosts" || { echo "no localhost in /etc/hosts: $(cat "$T/hosts")" >&2; return 1; }
	run dk run --rm --name "$(cname ping)" --add-host a:127.0.0.2 busybox sh -c 'ping -c 1 -W 5 a >/dev/null && echo resolved'
	assert_eq "$output" resolved "a resolves (and 127.0.0.2 answers on lo)"
}

@test "--init: pid 1 is the init, not the command; it forwards SIGTERM (stop gives 143)" {
	local n
	run dk run --rm --name "$(cname pid)" --init busybox sh -c 'echo $$; cat /proc/1/comm'
	assert_status 0
	[ "${lines[0]}" != 1 ] || { echo "with --init the command is pid 1" >&2; return 1; }
	[ "${lines[1]}" != sh ] || { echo "pid 1 is sh with --init" >&2; return 1; }
	run dk run --rm --name "$(cname noinit)" busybox sh -c 'echo $$'
	assert_eq "$output" 1 "without --init the command is pid 1"
	n=$(cname)
	sleeper "$n" --init
	assert_eq "$(insp "$n" '{{.HostConfig.Init}}')" true HostConfig.Init
	dk stop "$n" >/dev/null
	assert_eq "$(insp "$n" '{{.State.ExitCode}}')" 143 "sleep got SIGTERM from the init"
}

@test "--restart always revives a container that exits (RestartCount grows); stop ends it" {
	local n
	n=$(cname)
	dk run -d --name "$n" --restart always busybox sh -c 'exit 1' >/dev/null
	restarts_at_least() { [ "$(insp "$1" '{{.RestartCount}}')" -ge "$2" ]; }
	wait_for 60 restarts_at_least "$n" 2 || { echo "RestartCount $(insp "$n" '{{.RestartCount}}') after 60s" >&2; return 1; }
	assert_eq "$(insp "$n" '{{.HostConfig.RestartPolicy.Name}}')" always RestartPolicy
	run dk stop -t 1 "$n"
	assert_status 0
	assert_eq "$(insp "$n" '{{.State.Status}} {{.State.Restarting}}')" "exited false" "after stop"
}

@test "--restart on-failure:2: two restarts, then exited with the code; exit 0 is not restarted" {
	local n m
	n=$(cname)
	dk run -d --name "$n" --restart on-failure:2 busybox sh -c 'exit 3' >/dev/null
	done_restarting() { [ "$(insp "$1" '{{.RestartCount}} {{.State.Status}}')" = "2 exited" ]; }
	wait_for 60 done_restarting "$n" || { echo "state: $(insp "$n" '{{.RestartCount}} {{json .State}}')" >&2; return 1; }
	assert_eq "$(insp "$n" '{{.State.ExitCode}}')" 3 ExitCode
	m=$(cname ok)
	dk run -d --name "$m" --restart on-failure:2 busybox true >/dev/null
	wait_state "$m" exited
	assert_eq "$(insp "$m" '{{.RestartCount}} {{.State.ExitCode}}')" "0 0" "exit 0 under on-failure"
}

@test "the daemon makes a container's network namespace: joined by path while it runs, removed after" {
	berth_only "berth's exec root"
	local n id
	n=$(cname)
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	[ "$(stat -f -c %T "$EXEC/netns/$id")" = nsfs ] ||
		{ echo "no namespace file for $id under $EXEC/netns" >&2; return 1; }
	# the container's is that one (same inode), with loopback up
	assert_eq "$(stat -L -c %i "/proc/$(insp "$n" '{{.State.Pid}}')/ns/net")" \
		"$(stat -L -c %i "$EXEC/netns/$id")" "the container's network namespace"
	run dk exec "$n" sh -c 'ip -o addr show lo | grep -c "inet 127.0.0.1"'
	assert_eq "$output" 1 "lo is up"
	run dk rm -f "$n"
	assert_status 0
	wait_for 10 bash -c "[ ! -e '$EXEC/netns/$id' ]" ||
		{ echo "the namespace file of $id is left" >&2; return 1; }
}

@test "runtime files live under the exec root, a tmpfs the daemon mounts; data under the data root" {
	berth_only "berth's exec root"
	local n id rt
	n=$(cname)
	[ "$(stat -f -c %T "$EXEC")" = tmpfs ] || { echo "the exec root $EXEC is not a tmpfs" >&2; return 1; }
	sleeper "$n"
	id=$(insp "$n" '{{.Id}}')
	rt=$EXEC/containers/$id
	for f in config.json hostname hosts resolv.conf monitor.json; do
		[ -f "$rt/$f" ] || { echo "no $f in $rt" >&2; ls -la "$rt" >&2; return 1; }
	done
	[ -f "$DATA/containers/$id/$id-json.log" ] || { echo "no log under the data root" >&2; return 1; }
	[ ! -e "$DATA/containers/$id/config.json" ] || { echo "a spec under the data root" >&2; return 1; }
	assert_eq "$(insp "$n" '{{.HostsPath}}')" "$rt/hosts" HostsPath
	run dk exec "$n" cat /etc/hostname
	assert_eq "$output" "$(cat "$rt/hostname")" "the container's /etc/hostname"
	run dk rm -f "$n"
	assert_status 0
	wait_for 10 bash -c "[ ! -e '$rt' ]" || { echo "$rt is left after rm" >&2; return 1; }
}

@test "--network none: only lo" {
	local n
	n=$(cname)
	run dk run --name "$n" --network none busybox ls /sys/class/net
	assert_status 0
	assert_eq "$output" lo "interfaces"
	assert_eq "$(insp "$n" '{{.HostConfig.NetworkMode}}')" none NetworkMode
	run dk run --rm --name "$(cname lo)" --network none busybox sh -c 'ip -o addr show lo | grep -c "inet 127.0.0.1"'
	assert_eq "$output" 1 "lo is up with 127.0.0.1"
}

@test "--network host: the host's interfaces and hostname" {
	local n i
	n=$(cname)
	run dk run --name "$n" --network host busybox sh -c 'hostname; ls /sys/class/net'
	assert_status 0
	assert_eq "${lines[0]}" "$(hostname)" "hostname under --network host"
	for i in /sys/class/net/*; do
		i=${i##*/}
		case $i in veth*) continue ;; esac # come and go with other containers
		printf '%s\n' "${lines[@]:1}" | grep -qx "$i" || { echo "host interface $i not seen: ${lines[*]:1}" >&2; return 1; }
	done
	assert_eq "$(insp "$n" '{{.HostConfig.NetworkMode}}')" host NetworkMode
}
