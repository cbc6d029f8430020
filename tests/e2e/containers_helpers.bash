# shellcheck shell=bash disable=SC2154
# tests/e2e/containers_helpers.bash: what the container e2e files
# (containers.bats, containers_sdk.bats, containers_security.bats,
# containers_restore.bats) share on top of helpers.bash and
# images_helpers.bash. Load order in a .bats file:
#
#   load helpers
#   load images_helpers
#   load containers_helpers
#   setup_file()    { ctr_setup_file; }    # never `skip` here (bats 1.8)
#   teardown_file() { ctr_teardown_file; }
#   setup()         { ctr_setup; }
#   teardown()      { ctr_teardown; }
#
# Peer mode: with E2E_PEER_HOST=unix:///PATH (e.g. the dockerd of
# bench/peers: `eval "$(bench/peers env)"; E2E_PEER_HOST=$BENCH_DOCKER_HOST
# bats tests/e2e/containers.bats`) no berth daemon is started: SOCK (and so
# dk, api, py_sdk) and DOCKER_HOST point at that engine instead. The same
# expectations then run against dockerd, which is how they were checked.
# What only makes sense for berth is skipped there with a reason: a test
# calls berth_only, a whole file ctr_skip_all (containers_restore.bats kills
# and restarts the daemon), a check of berth's own paths tests is_peer. A
# peer is shared: tests only ever touch the containers they created
# themselves (and prune only with a label filter of their own).
#
# Naming: every container a test makes is named with cname (unique per
# file run and test: e2e-<run>-<test number>-<tag>) or registered with
# track; ctr_teardown removes them all (rm -f), so tests are independent.
#
# Nothing here sleeps a fixed time to synchronise: waits poll a condition
# with a bound (wait_for).

DK_TIMEOUT=${BERTH_E2E_DK_TIMEOUT:-120}
export DK_TIMEOUT

# is_peer: the tests run against E2E_PEER_HOST, not a berth of their own.
is_peer() { [ -n "${E2E_PEER_HOST:-}" ]; }

# berth_only WHY: skip the test when running against a peer engine.
berth_only() {
	if is_peer; then
		skip "berth only ($1); running against the peer $E2E_PEER_HOST"
	fi
	return 0
}

# dk ARGS...: the docker CLI against the engine under test, bounded in time
# (DK_TIMEOUT, default 120 s; a hung call ends the test with status 124
# instead of the whole suite). Overrides helpers.bash's unbounded dk.
# Interactive runs (-it under tmux) call "$DOCKER" directly: timeout puts
# its child in a background process group, which cannot read a tty.
dk() { timeout --kill-after=5 "$DK_TIMEOUT" "$DOCKER" -H "unix://$SOCK" "$@"; }

# ------------------------------------------------------------------ per file
# bats 1.8 cannot skip from setup_file (the file reports a failure): a file
# that cannot run says why in CT_SKIP_ALL, and ctr_setup skips each test.
ctr_skip_all() { export CT_SKIP_ALL=$1; }

# ctr_setup_file [DAEMON-ARGS...]: berth: a fresh env and daemon with the
# fixture registry as docker.io mirror (plus DAEMON-ARGS). Peer: nothing
# started, SOCK/DOCKER_HOST point at E2E_PEER_HOST. Both: busybox present,
# RUN_ID set. Without the fixtures: CT_SKIP_ALL.
ctr_setup_file() {
	export CT_SKIP_ALL=''
	if is_peer; then
		case $E2E_PEER_HOST in
		unix://*) ;;
		*)
			echo "E2E_PEER_HOST must be unix:///PATH (got $E2E_PEER_HOST)" >&2
			return 1
			;;
		esac
		E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-e2e.XXXXXX") || return 1
		mkdir -p "$E2E_TMP/docker-config" "$E2E_TMP/peer"
		export E2E_TMP DOCKER_CONFIG=$E2E_TMP/docker-config
		export ENV_DIR=$E2E_TMP/peer SOCK=${E2E_PEER_HOST#unix://} DATA='' EXEC='' CONF=''
		export LOG=$E2E_TMP/peer/no-daemon-log DAEMON_PID=''
		if ! ping_ok; then
			echo "the peer engine at $E2E_PEER_HOST does not answer /_ping (bench/peers start)" >&2
			return 1
		fi
	else
		e2e_setup_file || return 1
		if ! fixtures_up; then
			ctr_skip_all "fixture registry not serving on $FIXTURE_REGISTRY (run /work/shared/fixtures/make-images --serve)"
			return 0
		fi
		save_daemon_args --registry-mirror "http://$FIXTURE_REGISTRY" "$@"
		start_env_daemon || return 1
	fi
	export DOCKER_HOST=unix://$SOCK
	RUN_ID=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	export RUN_ID
	mkdir -p "$E2E_TMP/track"
	if ! dk image inspect busybox >/dev/null 2>&1 && ! fixtures_up; then
		ctr_skip_all "no busybox on the engine and the fixture registry is not serving on $FIXTURE_REGISTRY"
		return 0
	fi
	ensure_image busybox
}

# ctr_teardown_file: remove what the tests left (every tracked name; with a
# berth of our own, every container it has, since with live restore they
# would outlive the daemon), then stop the daemon and remove E2E_TMP.
ctr_teardown_file() {
	local f names=() ids=()
	[ -n "${E2E_TMP:-}" ] || return 0
	for f in "$E2E_TMP"/track/*; do
		[ -f "$f" ] || continue
		case $f in *.images) continue ;; esac
		mapfile -t -O "${#names[@]}" names <"$f"
	done
	if ! is_peer && [ -n "${DAEMON_PID:-}" ]; then
		e2e_new_env "$(basename "$ENV_DIR")"
		daemon_running || start_env_daemon >/dev/null 2>&1 || true
	fi
	[ ${#names[@]} -eq 0 ] || dk rm -f "${names[@]}" >/dev/null 2>&1 || true
	for f in "$E2E_TMP"/track/*.images; do
		[ -f "$f" ] || continue
		mapfile -t names <"$f"
		[ ${#names[@]} -eq 0 ] || dk rmi -f "${names[@]}" >/dev/null 2>&1 || true
	done
	if ! is_peer && daemon_running; then
		mapfile -t ids < <(dk ps -aq 2>/dev/null)
		[ ${#ids[@]} -eq 0 ] || dk rm -f "${ids[@]}" >/dev/null 2>&1 || true
	fi
	if is_peer; then
		rm -rf "$E2E_TMP"
	else
		e2e_teardown_file
	fi
}

# ensure_image REF: pull REF unless the engine has it (through the fixture
# mirror: REF must be one the fixtures hold).
ensure_image() {
	dk image inspect "$1" >/dev/null 2>&1 && return 0
	dk pull -q "$1" >/dev/null
}

# ------------------------------------------------------------------ per test
ctr_setup() {
	[ -z "${CT_SKIP_ALL:-}" ] || skip "$CT_SKIP_ALL"
	is_peer || img_setup
	CT_PREFIX=e2e-$RUN_ID-$BATS_TEST_NUMBER
	TRACK=$E2E_TMP/track/$BATS_TEST_NUMBER
	T=$E2E_TMP/t$BATS_TEST_NUMBER
	TMUX_S=$T/tmux.sock
	mkdir -p "$T"
	export CT_PREFIX TRACK TMUX_S T
}

ctr_teardown() {
	local rc=0 names=()
	[ -z "${CT_SKIP_ALL:-}" ] || return 0
	[ ! -S "${TMUX_S:-}" ] || tmux -S "$TMUX_S" kill-server >/dev/null 2>&1 || true
	if [ -f "$TRACK" ]; then
		mapfile -t names <"$TRACK"
		if [ ${#names[@]} -gt 0 ]; then
			dk rm -f "${names[@]}" >/dev/null 2>&1 || true
		fi
		rm -f "$TRACK"
	fi
	if [ -f "$TRACK.images" ]; then
		mapfile -t names <"$TRACK.images"
		[ ${#names[@]} -eq 0 ] || dk rmi -f "${names[@]}" >/dev/null 2>&1 || true
		rm -f "$TRACK.images"
	fi
	if is_peer; then
		e2e_teardown
	else
		img_teardown || rc=1
	fi
	rm -rf "$T"
	return $rc
}

# cname [TAG]: a container name unique to this file run and test, removed in
# teardown. Call it once per container (NAME=$(cname web)).
cname() {
	local n=$CT_PREFIX-${1:-c}
	echo "$n" >>"$TRACK"
	echo "$n"
}

# track ID-OR-NAME: remove this container in teardown too.
track() { echo "$1" >>"$TRACK"; }

# ------------------------------------------------------------------ state
# insp CONTAINER FORMAT: docker inspect -f FORMAT.
insp() { dk inspect -f "$2" "$1"; }

# cjson CONTAINER [FILTER]: the inspect object (or jq -c FILTER of it).
cjson() { dk inspect "$1" | jq -c ".[0] | ${2:-.}"; }

state_is() { [ "$(insp "$1" '{{.State.Status}}' 2>/dev/null)" = "$2" ]; }

# wait_state CONTAINER STATUS [TIMEOUT]: poll State.Status (default 30 s).
wait_state() {
	if ! wait_for "${3:-30}" state_is "$1" "$2"; then
		echo "container $1 not '$2' within ${3:-30}s: $(insp "$1" '{{json .State}}' 2>&1)" >&2
		return 1
	fi
}

logs_have() { dk logs "$1" 2>&1 | grep -qF -- "$2"; }

# wait_log CONTAINER TEXT [TIMEOUT]: poll docker logs (both streams) for TEXT.
wait_log() {
	if ! wait_for "${3:-30}" logs_have "$1" "$2"; then
		echo "no '$2' in the logs of $1 within ${3:-30}s; logs:" >&2
		dk logs "$1" 2>&1 | tail -n 20 >&2
		return 1
	fi
}

# run_ready NAME [RUN-ARGS...] -- CMD...: docker run -d, then wait until the
# container printed "ready" (its script must echo it once set up).
run_ready() {
	local n=$1
	shift
	dk run -d --name "$n" "$@" >/dev/null || return 1
	wait_log "$n" ready
}

# sleeper NAME [RUN-ARGS...]: a detached busybox `sleep 1000`, running.
sleeper() {
	local n=$1
	shift
	dk run -d --name "$n" "$@" busybox sleep 1000 >/dev/null || return 1
	wait_state "$n" running
}

# ------------------------------------------------------------------ host side
# cgroup_file CONTAINER CONTROLLER FILE-V1 FILE-V2: a cgroup file read from
# inside the container (v1 path first, then the v2 name).
cgroup_file() {
	dk exec "$1" sh -c "cat /sys/fs/cgroup/$2/$3 2>/dev/null || cat /sys/fs/cgroup/$4"
}

# monitor_pids ID: the berth-monitor processes of container ID (the [b]
# keeps pgrep from matching a shell whose command line names them).
monitor_pids() { pgrep -f "[b]erth-monitor .*--id $1"; }
has_monitor() { monitor_pids "$1" >/dev/null; }
no_monitor() { ! monitor_pids "$1" >/dev/null; }

# runtime_binaries: the host binaries a container escape would target: the
# engine under test's own (berth, berthd, berth-oci, berth-monitor) or, for a
# peer, the usual docker/containerd/runc ones that exist.
runtime_binaries() {
	local b
	if is_peer; then
		for b in runc crun containerd containerd-shim-runc-v2 dockerd docker-init docker-proxy conmon podman; do
			command -v "$b" 2>/dev/null
		done | while read -r p; do readlink -f "$p"; done | sort -u
	else
		for b in "$BERTH" "$BERTH_BUILD/berthd" "$BERTH_BUILD/berth-oci" "$BERTH_BUILD/src/monitor/berth-monitor"; do
			[ -f "$b" ] && readlink -f "$b"
		done
	fi
}

# ------------------------------------------------------------------ tmux
# Interactive sessions: one tmux server per test (socket TMUX_S in the
# test's dir), killed in teardown.
require_tmux() {
	command -v tmux >/dev/null || skip "tmux not installed (scripts/install-deps installs it)"
}

# tmux_run SESSION SCRIPT: run `bash SCRIPT` in a new 120x40 session.
tmux_run() {
	tmux -S "$TMUX_S" -f /dev/null new-session -d -s "$1" -x 120 -y 40 "bash $2"
}

tmux_screen() { tmux -S "$TMUX_S" capture-pane -p -J -S - -t "$1"; }

screen_has() { tmux_screen "$1" | grep -qE -- "$2"; }

# tmux_wait SESSION ERE [TIMEOUT]: poll the pane (with history) for a line.
tmux_wait() {
	if ! wait_for "${3:-30}" screen_has "$1" "$2"; then
		echo "no /$2/ on the screen of tmux session $1 within ${3:-30}s; screen:" >&2
		tmux_screen "$1" 2>&1 | tail -n 20 | sed 's/^/  | /' >&2
		return 1
	fi
}

tmux_keys() {
	local s=$1
	shift
	tmux -S "$TMUX_S" send-keys -t "$s" "$@"
}

# ------------------------------------------------------------------ images
# craft_image REF JQ-FILTER [LAYER-DIR]: `docker load` an image REF made from
# busybox: its config passed through JQ-FILTER (e.g. '.config.Labels =
# {"a": "b"}'), plus, with LAYER-DIR, one more layer holding that
# directory's contents (symlinks kept). Built as a plain docker-archive
# (manifest.json; no OCI index). Skips the test when the engine answers
# load with "not implemented". The image is removed in teardown.
craft_image() {
	local ref=$1 filter=$2 layer=${3:-} x cfg new sum diff
	x=$(mktemp -d "$T/img.XXXXXX")
	dk save busybox -o "$x.tar" || return 1
	tar -xf "$x.tar" -C "$x" || return 1
	rm -f "$x.tar" "$x/index.json" "$x/oci-layout" "$x/repositories"
	cfg=$(jq -r '.[0].Config' "$x/manifest.json")
	new=$(jq -c "$filter" "$x/$cfg") || return 1
	if [ -n "$layer" ]; then
		mkdir -p "$x/e2e-layer"
		tar --numeric-owner --owner=0 --group=0 -cf "$x/e2e-layer/layer.tar" -C "$layer" .
		diff=sha256:$(sha256sum "$x/e2e-layer/layer.tar" | cut -d' ' -f1)
		new=$(jq -c --arg d "$diff" '.rootfs.diff_ids += [$d] | .history += [{"created": "2024-01-01T00:00:00Z", "created_by": "e2e crafted layer"}]' <<<"$new")
	fi
	sum=$(printf '%s' "$new" | sha256sum | cut -d' ' -f1)
	printf '%s' "$new" >"$x/$sum.json"
	jq -c --arg c "$sum.json" --arg t "$ref" --arg l "${layer:+e2e-layer/layer.tar}" \
		'.[0].Config = $c | .[0].RepoTags = [$t] | if $l != "" then .[0].Layers += [$l] else . end' \
		"$x/manifest.json" >"$x/m.json" && mv "$x/m.json" "$x/manifest.json"
	tar -cf "$x.tar" -C "$x" .
	echo "$ref" >>"$TRACK.images"
	run dk load -i "$x.tar"
	if [ "$status" != 0 ] && [[ $output == *"not implemented"* ]]; then
		skip "docker load not implemented yet: $output"
	fi
	if [ "$status" != 0 ]; then
		echo "docker load of the crafted image $ref failed: $output" >&2
		return 1
	fi
	rm -rf "$x" "$x.tar"
}

# skip_if_notimpl WHAT: after `run`, skip when the engine answered 501.
skip_if_notimpl() {
	if [ "$status" != 0 ] && [[ $output == *"not implemented"* ]]; then
		skip "$1 not implemented yet: $output"
	fi
	return 0
}

# ------------------------------------------------------------------ misc
# capture CMD...: like bats' run (sets status, output, lines), without
# run's warning about a 127 for tests that accept it among other statuses.
capture() {
	status=0
	output=$("$@" 2>&1) || status=$?
	# shellcheck disable=SC2034 # bats' variable, read by the tests
	mapfile -t lines <<<"$output"
}

# hex64: a full container ID.
is_hex64() { [[ $1 =~ ^[0-9a-f]{64}$ ]]; }

# api_json METHOD PATH JSON: api with a JSON body.
api_json() {
	local m=$1 p=$2 j=$3
	api "$m" "$p" -H 'Content-Type: application/json' -d "$j"
}

# host_has_all_caps: this shell has every capability the kernel knows
# (not so on these machines: no CAP_SYS_RESOURCE).
host_has_all_caps() {
	local last eff want
	last=$(cat /proc/sys/kernel/cap_last_cap)
	eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	want=$(printf '%016x' $(((1 << (last + 1)) - 1)))
	[ "$eff" = "$want" ]
}
