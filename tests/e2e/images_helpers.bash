# shellcheck shell=bash disable=SC2154
# tests/e2e/images_helpers.bash: what the image e2e files (images.bats,
# images_bad_input.bats, images_sdk.bats) share on top of helpers.bash:
# the fixture registry as a docker.io mirror, fakereg (a hostile registry on
# loopback), daemons that survive a crash of the previous test, and checks
# that a failed pull stored nothing.
#
# Network rule: every pull goes to loopback. docker.io names are only used
# with the fixture mirror configured, and only for names the fixtures hold
# (busybox, debian, redis, nginx, postgres); negative cases use
# 127.0.0.1:PORT/... names, which never reach Docker Hub.

FIXTURE_REGISTRY=${FIXTURES_REGISTRY:-127.0.0.1:5000}
export FIXTURE_REGISTRY

fixtures_up() {
	curl -sf --max-time 5 "http://$FIXTURE_REGISTRY/v2/_catalog" 2>/dev/null | grep -q 'library/busybox'
}

# require_fixtures: skip (a whole file when called from setup_file) when the
# fixture registry is not serving.
require_fixtures() {
	fixtures_up || skip "fixture registry not serving on $FIXTURE_REGISTRY (run /work/shared/fixtures/make-images --serve)"
}

# start_mirror_daemon [ARGS...]: start_daemon with the fixture registry as the
# docker.io mirror.
start_mirror_daemon() {
	start_daemon --registry-mirror "http://$FIXTURE_REGISTRY" "$@"
}

# Extra daemon flags of the current env, so that a crashed daemon can be
# started again with the same ones (each test runs in its own process).
save_daemon_args() {
	: >"$ENV_DIR/daemon.args"
	[ $# -eq 0 ] || printf '%s\n' "$@" >"$ENV_DIR/daemon.args"
}

start_env_daemon() {
	local args=()
	[ -f "$ENV_DIR/daemon.args" ] && mapfile -t args <"$ENV_DIR/daemon.args"
	start_daemon "${args[@]}"
}

# img_setup: per-test setup. If the daemon of the env died during an
# earlier test (a crash is that test's failure, see img_teardown), start it
# again on the same data root so the following tests still say something.
img_setup() {
	TEST_T0=$(now_ts)
	export TEST_T0
	# the pid of a daemon restarted by an earlier test is in its env's file
	e2e_new_env "$(basename "$ENV_DIR")"
	if [ -n "${DAEMON_PID:-}" ] && ! daemon_running; then
		echo "# daemon of env $(basename "$ENV_DIR") was dead at the start of this test; restarting it" >&3
		rm -f "$ENV_DIR/daemon.child.pid"
		start_env_daemon
	fi
	DAEMON_LOG_LINES=$(wc -l <"$LOG" 2>/dev/null || echo 0)
	SETUP_ENV_DIR=$ENV_DIR
	export DAEMON_LOG_LINES SETUP_ENV_DIR
}

# img_teardown: fail the test if the daemon died or printed a sanitizer
# report while it ran, and show the log of a failed test.
img_teardown() {
	local rc=0 new from=$((DAEMON_LOG_LINES + 1))
	# a test that switched to an env of its own: all of that env's log
	[ "$ENV_DIR" = "${SETUP_ENV_DIR:-}" ] || from=1
	new=$(tail -n +"$from" "$LOG" 2>/dev/null)
	if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' <<<"$new"; then
		echo "sanitizer report in the daemon log during this test:" >&2
		grep -E -A12 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' <<<"$new" | head -n 40 >&2
		rc=1
		# an aborting daemon takes a moment to write its report and exit:
		# wait, so that the next test finds it dead and starts it again
		[ -z "${DAEMON_PID:-}" ] || wait_daemon_exit 20 || true
	fi
	if [ -n "${DAEMON_PID:-}" ] && ! daemon_running && [ "${EXPECT_DAEMON_DOWN:-}" != 1 ]; then
		echo "the daemon (pid $DAEMON_PID) died during this test; log tail:" >&2
		tail -n 30 "$LOG" >&2
		rc=1
	fi
	e2e_teardown
	return $rc
}

# ------------------------------------------------------------------ fakereg
# fakereg_start: run tests/helpers/fakereg.py on a free loopback port; sets
# and exports FAKEREG (127.0.0.1:PORT) and OUTSIDE (the sentinel dir hostile
# layers aim at: OUTSIDE/target holds "secret", OUTSIDE/dir is empty).
fakereg_start() {
	local d=$E2E_TMP/fakereg
	mkdir -p "$d" "$E2E_TMP/outside/dir"
	printf 'secret\n' >"$E2E_TMP/outside/target"
	OUTSIDE=$E2E_TMP/outside
	python3 "$HELPERS/fakereg.py" --port-file "$d/port" --outside "$OUTSIDE" --log "$d/log" \
		</dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$d/pid"
	if ! wait_for 60 test -s "$d/port"; then
		echo "fakereg did not start; log:" >&2
		cat "$d/log" >&2
		return 1
	fi
	FAKEREG=127.0.0.1:$(cat "$d/port")
	export FAKEREG OUTSIDE
}

fakereg_stop() {
	local pid
	pid=$(cat "$E2E_TMP/fakereg/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait_for 10 proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	rm -f "$E2E_TMP/fakereg/pid"
}

fakereg_stats() { curl -sf --max-time 5 "http://$FAKEREG/_fakereg/stats"; }
fakereg_ctl() { curl -sf --max-time 5 "http://$FAKEREG/_fakereg/ctl?$1" >/dev/null; }
fakereg_reset() { curl -sf --max-time 5 "http://$FAKEREG/_fakereg/reset" >/dev/null; }

# forget REF...: remove images if present (a test that needs them absent).
forget() {
	local r
	for r in "$@"; do
		dk rmi -f "$r" >/dev/null 2>&1 || true
	done
}

# ------------------------------------------------------------------ store checks
layer_dirs() { find "$DATA/layers" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort; }

tmp_empty() { [ -z "$(ls -A "$DATA/tmp" 2>/dev/null)" ]; }
tmp_nonempty() { ! tmp_empty; }

# image_absent REF: neither inspect nor the list knows REF's repository.
image_absent() {
	local repo=${1%:*}
	if dk image inspect "$1" >/dev/null 2>&1; then
		echo "image $1 exists after a failed pull" >&2
		return 1
	fi
	if dk images --format '{{.Repository}}' | grep -qxF "$repo"; then
		echo "repository $repo is listed after a failed pull" >&2
		return 1
	fi
}

# nothing_stored REF LAYERS_BEFORE: after a failed pull of REF: no image, no
# new layer dir, <data-root>/tmp empty (polled: cleanup may trail the error).
nothing_stored() {
	image_absent "$1" || return 1
	if [ "$(layer_dirs)" != "$2" ]; then
		echo "layer dirs changed by a failed pull:" >&2
		diff <(echo "$2") <(layer_dirs) >&2
		return 1
	fi
	if ! wait_for 10 tmp_empty; then
		echo "$DATA/tmp is not empty after a failed pull:" >&2
		ls -la "$DATA/tmp" >&2
		return 1
	fi
}

# outside_untouched: OUTSIDE still holds exactly dir/ and target ("secret",
# one link).
outside_untouched() {
	local listing
	listing=$(cd "$OUTSIDE" && find . | sort | tr '\n' ' ')
	if [ "$listing" != ". ./dir ./target " ]; then
		echo "something was written outside the data root: $listing" >&2
		ls -laR "$OUTSIDE" >&2
		return 1
	fi
	assert_eq "$(cat "$OUTSIDE/target")" secret "content of $OUTSIDE/target" || return 1
	assert_eq "$(stat -c %h "$OUTSIDE/target")" 1 "link count of $OUTSIDE/target"
}

# stray_files: hostile names anywhere under E2E_TMP but inside a layer dir.
stray_files() {
	find "$E2E_TMP" \( -name '*pwned*' -o -name 'escape-*' \) -not -path "$DATA/layers/*" 2>/dev/null
}

# chain_ids DIFF_ID...: the layer chain IDs (as docker computes them), hex.
chain_ids() {
	local prev="" d c
	for d in "$@"; do
		if [ -z "$prev" ]; then c=$d; else c=sha256:$(printf '%s %s' "$prev" "$d" | sha256sum | cut -d' ' -f1); fi
		echo "${c#sha256:}"
		prev=$c
	done
}

# image_layer_dirs REF: the layer dirs (chain IDs) of a local image.
image_layer_dirs() {
	# shellcheck disable=SC2046
	chain_ids $(dk image inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' "$1")
}

# reg_curl REGISTRY PATH [ARGS]: GET a registry path.
reg_curl() {
	local r=$1 p=$2
	shift 2
	curl -sf --max-time 10 "$@" "http://$r$p"
}

# index_digest REGISTRY REPO TAG: Docker-Content-Digest of the tag's index.
index_digest() {
	curl -sfI --max-time 10 "http://$1/v2/$2/manifests/$3" \
		-H 'Accept: application/vnd.oci.image.index.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' |
		tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }'
}

# platform_manifest REGISTRY REPO TAG ARCH: digest of ARCH's manifest in the index.
platform_manifest() {
	reg_curl "$1" "/v2/$2/manifests/$3" -H 'Accept: application/vnd.oci.image.index.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' |
		jq -r --arg a "$4" '.manifests[] | select(.platform.architecture == $a and .platform.os == "linux") | .digest' |
		head -n 1
}

# config_digest REGISTRY REPO REF: config digest of an image manifest.
config_digest() {
	reg_curl "$1" "/v2/$2/manifests/$3" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' | jq -r .config.digest
}

# json_c FILTER: jq -c on the last HTTP_BODY.
json_c() { jq -c "$1" <<<"$HTTP_BODY"; }

# b64url TEXT: base64url as X-Registry-Auth carries it.
b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_'; }

# api_pull QUERY [CURL-ARGS...]: POST /images/create?QUERY; sets HTTP_STATUS,
# HTTP_BODY (the whole stream), HTTP_HEADERS. Bounded to 120 s.
api_pull() {
	local q=$1 hdr body
	shift
	hdr=$(mktemp "$E2E_TMP/hdr.XXXXXX")
	body=$(mktemp "$E2E_TMP/body.XXXXXX")
	HTTP_STATUS=$(curl -sS -N --max-time 120 --unix-socket "$SOCK" -X POST -D "$hdr" -o "$body" \
		-w '%{http_code}' "$@" "http://localhost/images/create?$q")
	HTTP_HEADERS=$(tr -d '\r' <"$hdr")
	HTTP_BODY=$(cat "$body")
	rm -f "$hdr" "$body"
	export HTTP_STATUS HTTP_BODY HTTP_HEADERS
}

# stream_error: the in-band error of the last pull stream (or the HTTP error).
stream_error() {
	if [ "$HTTP_STATUS" = 200 ]; then
		jq -r 'select(.error != null) | .error' <<<"$HTTP_BODY" 2>/dev/null | tail -n 1
	else
		jq -r .message <<<"$HTTP_BODY" 2>/dev/null
	fi
}
