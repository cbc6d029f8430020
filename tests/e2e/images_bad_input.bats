#!/usr/bin/env bats
# Hostile registries and layers: tests/helpers/fakereg.py serves crafted
# content on 127.0.0.1 and misbehaves by repository name (see its header).
# Every failure must be a clear error with nothing stored: no image, no new
# layer dir, <data-root>/tmp empty; nothing may be written outside the layer
# dir (OUTSIDE is a sentinel dir the hostile layers aim at). Pulls go through
# the real docker CLI, curl (X-Registry-Auth) and the Python SDK.
#
# The daemon has no registry mirror: every name here is 127.0.0.1:PORT/...,
# so nothing leaves loopback. Loopback registries are insecure to the
# daemon (https first, then http), as with dockerd.

load helpers
load images_helpers

setup_file() {
	e2e_setup_file
	fakereg_start
	save_daemon_args
	start_env_daemon
}

teardown_file() {
	fakereg_stop
	e2e_teardown_file
}

setup() {
	img_setup
	# a test that failed half-way may have left the throttle off
	[ -n "${FAKEREG:-}" ] && fakereg_ctl slow=1
	true
}

teardown() {
	if [ -n "${BG_PID:-}" ]; then
		kill "$BG_PID" 2>/dev/null
		BG_PID=
	fi
	img_teardown
}

# pull_must_fail REPO REGEX: docker pull fails with a message matching
# REGEX, stores nothing, and the daemon still answers.
pull_must_fail() {
	local before
	before=$(layer_dirs)
	run timeout 120 "$DOCKER" -H "unix://$SOCK" pull "$FAKEREG/$1"
	assert_failure
	assert_match "$output" "$2" "error of the pull of $1"
	nothing_stored "$FAKEREG/$1:latest" "$before"
	ping_ok
}

# hostile_pull REPO: the pull either fails cleanly (nothing stored) or
# succeeds with every hostile name inside the layer dir; in both cases
# nothing outside changed. Sets HOSTILE_OK=1 when the pull succeeded.
hostile_pull() {
	local before
	before=$(layer_dirs)
	run timeout 120 "$DOCKER" -H "unix://$SOCK" pull "$FAKEREG/$1"
	[ "$status" != 124 ] || { echo "pull of $1 timed out" >&2; return 1; }
	outside_untouched
	local stray
	stray=$(stray_files)
	assert_eq "$stray" "" "hostile files outside the layer dirs"
	wait_for 10 tmp_empty || { echo "$DATA/tmp not empty:" >&2; ls -la "$DATA/tmp" >&2; return 1; }
	if [ "$status" -ne 0 ]; then
		HOSTILE_OK=0
		echo "# $1 refused: $(tail -n 1 <<<"$output")" >&3
		nothing_stored "$FAKEREG/$1:latest" "$before"
	else
		HOSTILE_OK=1
		echo "# $1 accepted, contained in the layer dir" >&3
		dk image inspect "$FAKEREG/$1" >/dev/null
	fi
	ping_ok
}

# ------------------------------------------------------------------ positive controls
@test "fakereg: a plain image pulls (control for everything below)" {
	forget "$FAKEREG/ok/plain"
	run dk pull "$FAKEREG/ok/plain"
	assert_status 0
	assert_contains "$output" "Status: Downloaded newer image for $FAKEREG/ok/plain:latest"
	local dir
	dir=$(image_layer_dirs "$FAKEREG/ok/plain")
	[ -x "$DATA/layers/$dir/diff/hello" ]
	assert_eq "$(cat "$DATA/layers/$dir/diff/etc/fakereg-release")" "fakereg ok/plain" "unpacked file"
}

@test "zstd layer (application/vnd.oci.image.layer.v1.tar+zstd) pulls" {
	forget "$FAKEREG/ok/oci-zstd"
	[ "$(fakereg_stats | jq -r .digests.zstd)" != null ] ||
		skip "no zstd compressor for fakereg (neither python zstandard nor the zstd CLI)"
	run dk pull "$FAKEREG/ok/oci-zstd"
	assert_status 0
	local dir
	dir=$(image_layer_dirs "$FAKEREG/ok/oci-zstd")
	assert_eq "$(cat "$DATA/layers/$dir/diff/etc/fakereg-release")" "fakereg ok/oci-zstd" "unpacked file"
}

@test "transient 503s are retried: the pull succeeds" {
	forget "$FAKEREG/flaky/img"
	fakereg_reset
	run dk pull "$FAKEREG/flaky/img"
	assert_status 0
	local n
	n=$(fakereg_stats | jq '.counts["flaky/img"].manifest')
	[ "$n" -ge 3 ] || { echo "only $n manifest requests: no retry?" >&2; return 1; }
}

# ------------------------------------------------------------------ digests
@test "layer digest mismatch: 'digest mismatch', nothing stored" {
	pull_must_fail bad/digest 'digest mismatch|verification failed'
}

@test "config digest mismatch: refused, nothing stored" {
	pull_must_fail bad/configdigest 'digest mismatch|verification failed'
}

@test "config diff_id does not match the layer: refused, nothing stored" {
	pull_must_fail bad/diffid "diff_id|don't match|mismatch"
}

@test "manifest fetched by digest with other bytes: refused, nothing stored" {
	local d before
	d=$(fakereg_stats | jq -r '.digests["bad-mandigest"]')
	before=$(layer_dirs)
	run dk pull "$FAKEREG/bad/mandigest@$d"
	assert_failure
	assert_match "$output" 'verification failed|digest|mismatch'
	nothing_stored "$FAKEREG/bad/mandigest:latest" "$before"
}

# ------------------------------------------------------------------ compression
@test "truncated gzip layer: refused, nothing stored" {
	pull_must_fail bad/truncgz 'truncated|unexpected EOF|corrupt'
}

@test "corrupt gzip layer: refused, nothing stored" {
	pull_must_fail bad/corruptgz 'corrupt|invalid|checksum|mismatch|gzip'
}

@test "corrupt zstd layer: refused, nothing stored" {
	[ "$(fakereg_stats | jq -r .digests.zstd)" != null ] ||
		skip "no zstd compressor for fakereg (neither python zstandard nor the zstd CLI)"
	pull_must_fail bad/zstd 'corrupt|zstd|checksum|invalid'
}

# ------------------------------------------------------------------ hostile archives
@test "layer with ../ entries: nothing written outside" {
	hostile_pull bad/dotdot
	# dockerd refuses a breakout; so must we
	assert_eq "$HOSTILE_OK" 0 "../ entries refused"
	assert_match "$output" 'escape|outside|breakout|invalid'
}

@test "layer with an absolute path: kept inside the layer dir" {
	hostile_pull bad/abs
	if [ "$HOSTILE_OK" = 1 ]; then
		# dockerd joins absolute names onto the root: same here
		local dir
		dir=$(image_layer_dirs "$FAKEREG/bad/abs")
		[ -f "$DATA/layers/$dir/diff$OUTSIDE/abs-pwned" ] ||
			{ echo "abs-pwned not under the layer root" >&2; find "$DATA/layers/$dir" >&2; return 1; }
	fi
}

@test "layer with hardlinks to a file outside: nothing linked or written outside" {
	hostile_pull bad/hardlink
}

@test "layer with symlink evil -> outside dir, then evil/pwned: nothing written outside" {
	hostile_pull bad/symlink
}

@test "layer with a relative ../ symlink to outside, then a file through it: nothing outside" {
	hostile_pull bad/symlink-rel
}

@test "layer with a hardlink through a symlink to outside: nothing linked outside" {
	hostile_pull bad/symlink-hardlink
}

@test "manifest larger than 4 MiB: refused, nothing stored" {
	pull_must_fail bad/bigmanifest 'larger than|too large|too big|exceeds|size'
}

# ------------------------------------------------------------------ registry errors
@test "registry answering 500 (JSON errors) to everything: retried, then its message" {
	fakereg_reset
	pull_must_fail err/500 'fakereg: internal failure'
	local n
	n=$(fakereg_stats | jq '.counts["err/500"].manifest')
	[ "$n" -ge 2 ] || { echo "$n manifest requests: a 500 was not retried" >&2; return 1; }
}

@test "registry answering 500 (text body): 'unexpected status' error" {
	pull_must_fail err/500text 'unexpected (HTTP )?status:? 500'
}

@test "unknown tag on a known repository: 'manifest for ... not found: manifest unknown', 404" {
	run dk pull "$FAKEREG/ok/plain:nope"
	assert_status 1
	assert_contains "$output" "manifest for $FAKEREG/ok/plain:nope not found: manifest unknown: manifest unknown"
	api_pull "fromImage=$FAKEREG/ok/plain&tag=nope"
	assert_eq "$HTTP_STATUS" 404 status
	assert_contains "$(json_get .message)" "manifest unknown"
}

@test "unknown repository: not found, 404, nothing stored" {
	local before
	before=$(layer_dirs)
	run dk pull "$FAKEREG/nope/never"
	assert_status 1
	assert_match "$output" "(manifest for|repository) $FAKEREG/nope/never(:latest)? not found"
	api_pull "fromImage=$FAKEREG/nope/never&tag=latest"
	assert_eq "$HTTP_STATUS" 404 status
	nothing_stored "$FAKEREG/nope/never:latest" "$before"
}

@test "registry that stalls after the headers: timeout error within the stall limit" {
	# The daemon gives up on a transfer after 30 s without a byte
	# (BERTH_REGISTRY_STALL_TIMEOUT_S) and retries max-download-attempts
	# times: one attempt keeps this test near 30 s.
	e2e_new_env stall
	echo '{"max-download-attempts": 1}' >"$CONF"
	start_daemon
	local before t0 took
	before=$(layer_dirs)
	t0=$SECONDS
	run timeout 60 "$DOCKER" -H "unix://$SOCK" pull "$FAKEREG/err/stall"
	took=$((SECONDS - t0))
	assert_failure
	assert_match "$output" 'too slow|timed out|timeout|deadline'
	[ "$took" -le 45 ] || { echo "the stalled pull took ${took}s" >&2; return 1; }
	nothing_stored "$FAKEREG/err/stall:latest" "$before"
	stop_daemon
}

# ------------------------------------------------------------------ auth
@test "token auth without credentials: refused, token endpoint asked with the repository scope" {
	forget "$FAKEREG/auth/token"
	fakereg_reset
	local before
	before=$(layer_dirs)
	run dk pull "$FAKEREG/auth/token"
	assert_failure
	assert_match "$output" "pull access denied|unauthorized"
	nothing_stored "$FAKEREG/auth/token:latest" "$before"
	local st
	st=$(fakereg_stats)
	assert_eq "$(jq -r '.scopes[0].scope' <<<"$st")" "repository:auth/token:pull" "scope asked"
	assert_eq "$(jq -r '.scopes[0].service' <<<"$st")" "fake" "service asked"
}

@test "token auth with credentials (Python SDK auth_config): pulled with a Bearer token" {
	require_docker_sdk
	forget "$FAKEREG/auth/token"
	fakereg_reset
	run py_sdk "
img = c.images.pull('$FAKEREG/auth/token', tag='latest', auth_config={'username': 'alice', 'password': 's3cret'})
print(img.id)
print(img.tags)
"
	assert_status 0
	assert_eq "${lines[0]}" "$(fakereg_stats | jq -r '.digests.config["auth/token"]')" "image ID"
	assert_contains "${lines[1]}" "$FAKEREG/auth/token:latest"
	# the manifest and blob requests that were served carried the token
	assert_contains "$(fakereg_stats | jq -c '.authorization["auth/token"]')" '"Bearer"'
	assert_eq "$(fakereg_stats | jq '.counts["auth/token"].blob')" 2 "blobs served (config + layer)"
	dk rmi -f "$FAKEREG/auth/token" >/dev/null
}

@test "token auth with credentials in X-Registry-Auth (curl, base64url): pulled" {
	forget "$FAKEREG/auth/token"
	local auth
	auth=$(b64url "{\"username\":\"alice\",\"password\":\"s3cret\",\"serveraddress\":\"$FAKEREG\"}")
	api_pull "fromImage=$FAKEREG/auth/token&tag=latest" -H "X-Registry-Auth: $auth"
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(stream_error)" "" "stream error"
	assert_contains "$HTTP_BODY" "Status: Downloaded newer image for $FAKEREG/auth/token:latest"
	dk image inspect "$FAKEREG/auth/token" >/dev/null
	dk rmi -f "$FAKEREG/auth/token" >/dev/null
}

@test "token auth with a wrong password: the registry's refusal, nothing stored" {
	forget "$FAKEREG/auth/token"
	local before auth
	before=$(layer_dirs)
	auth=$(b64url '{"username":"alice","password":"wrong"}')
	api_pull "fromImage=$FAKEREG/auth/token&tag=latest" -H "X-Registry-Auth: $auth"
	[ "$HTTP_STATUS" -ge 400 ] || [ -n "$(stream_error)" ]
	assert_match "$(stream_error)" "pull access denied|unauthorized"
	assert_contains "$(stream_error)" "incorrect username or password"
	if [ "$HTTP_STATUS" -ge 400 ]; then
		assert_eq "$(header Content-Type)" application/json Content-Type
	fi
	nothing_stored "$FAKEREG/auth/token:latest" "$before"
	require_docker_sdk
	run py_sdk "
try:
    c.images.pull('$FAKEREG/auth/token', tag='latest', auth_config={'username': 'alice', 'password': 'wrong'})
except docker.errors.APIError as e:
    print('APIError', e.status_code, e.explanation)
    sys.exit(0)
print('pulled?')
sys.exit(1)
"
	assert_status 0
	assert_match "$output" "^APIError [45][0-9][0-9] "
}

@test "basic auth: refused without credentials, pulled with them, refused with wrong ones" {
	forget "$FAKEREG/auth/basic"
	local before auth
	before=$(layer_dirs)
	run dk pull "$FAKEREG/auth/basic"
	assert_failure
	assert_match "$output" "pull access denied|unauthorized|no basic auth credentials"
	nothing_stored "$FAKEREG/auth/basic:latest" "$before"
	auth=$(b64url '{"username":"alice","password":"nope"}')
	api_pull "fromImage=$FAKEREG/auth/basic&tag=latest" -H "X-Registry-Auth: $auth"
	assert_match "$(stream_error)" "pull access denied|unauthorized"
	nothing_stored "$FAKEREG/auth/basic:latest" "$before"
	fakereg_reset
	auth=$(b64url '{"username":"alice","password":"s3cret"}')
	api_pull "fromImage=$FAKEREG/auth/basic&tag=latest" -H "X-Registry-Auth: $auth"
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(stream_error)" "" "stream error"
	dk image inspect "$FAKEREG/auth/basic" >/dev/null
	assert_contains "$(fakereg_stats | jq -c '.authorization["auth/basic"]')" '"Basic"'
}

@test "an undecodable X-Registry-Auth is ignored for a pull, as dockerd" {
	forget "$FAKEREG/ok/newer"
	# dockerd: "for a pull it is not an error if no auth was given"; a
	# header that is not base64url JSON counts as no auth.
	api_pull "fromImage=$FAKEREG/ok/newer&tag=latest" -H 'X-Registry-Auth: !!!not-base64!!!'
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(stream_error)" "" "stream error"
}

# ------------------------------------------------------------------ references
@test "api: invalid references are 400 with docker's wording" {
	api_pull 'fromImage=UPPER'
	assert_eq "$HTTP_STATUS" 400 "status for UPPER"
	assert_eq "$(json_get .message)" "invalid reference format: repository name (library/UPPER) must be lowercase" message
	api_pull 'fromImage=a:b:c'
	assert_eq "$HTTP_STATUS" 400 "status for a:b:c"
	assert_contains "$(json_get .message)" "invalid reference format"
	api_pull "fromImage=$FAKEREG/ok/plain&tag=sha256:abc"
	assert_eq "$HTTP_STATUS" 400 "status for a short digest"
	assert_contains "$(json_get .message)" "invalid"
}

# ------------------------------------------------------------------ interruptions
@test "kill -9 of the daemon mid-download: no partial image, tmp emptied at start, then the pull succeeds" {
	e2e_new_env killed
	start_daemon
	local layer cfg st
	st=$(fakereg_stats)
	layer=$(jq -r '.digests["slow-layer"]' <<<"$st")
	cfg=$(jq -r '.digests["slow-config"]' <<<"$st")
	fakereg_reset
	fakereg_ctl slow=1
	"$DOCKER" -H "unix://$SOCK" pull "$FAKEREG/slow/img" >"$ENV_DIR/pull.out" 2>&1 </dev/null 3>&- &
	BG_PID=$!
	# mid-download: some of the 4 MiB sent and a partial blob in tmp
	wait_for 30 slow_bytes_at_least "$layer" 262144 || { echo "the slow layer did not start" >&2; return 1; }
	wait_for 10 tmp_nonempty || { echo "no partial download appeared in $DATA/tmp" >&2; return 1; }
	EXPECT_DAEMON_DOWN=1
	kill_daemon_hard
	wait_for 15 proc_gone "$BG_PID"
	BG_PID=
	[ -n "$(ls -A "$DATA/tmp")" ] || { echo "no partial download in $DATA/tmp to clean up" >&2; return 1; }
	start_daemon
	EXPECT_DAEMON_DOWN=
	run ls -A "$DATA/tmp"
	assert_eq "$output" "" "$DATA/tmp after the restart"
	image_absent "$FAKEREG/slow/img:latest"
	run dk image inspect "$cfg"
	assert_failure
	fakereg_ctl slow=0
	run dk pull "$FAKEREG/slow/img"
	assert_status 0
	assert_contains "$output" "Status: Downloaded newer image for $FAKEREG/slow/img:latest"
	run dk image inspect --format '{{.Id}}' "$FAKEREG/slow/img"
	assert_eq "$output" "$cfg" "Id"
	local dir
	dir=$(image_layer_dirs "$FAKEREG/slow/img")
	assert_eq "$(stat -c %s "$DATA/layers/$dir/diff/random.bin")" 4194304 "size of random.bin"
	tmp_empty
	stop_daemon
}

slow_bytes_at_least() { # DIGEST N
	local b
	b=$(fakereg_stats | jq -r --arg d "$1" '.bytes[$d] // 0')
	[ "$b" -ge "$2" ]
}

@test "client disconnect mid-download: the pull is cancelled and cleaned up, a later pull succeeds" {
	e2e_new_env disconnect
	start_daemon
	local layer
	layer=$(fakereg_stats | jq -r '.digests["slow-layer"]')
	fakereg_reset
	fakereg_ctl slow=1
	"$DOCKER" -H "unix://$SOCK" pull "$FAKEREG/slow/img" >"$ENV_DIR/pull.out" 2>&1 </dev/null 3>&- &
	BG_PID=$!
	wait_for 30 slow_bytes_at_least "$layer" 262144 || { echo "the slow layer did not start" >&2; return 1; }
	kill "$BG_PID"
	wait_for 10 proc_gone "$BG_PID"
	BG_PID=
	# the daemon stops the transfer at its next chunk and removes its work
	wait_for 15 tmp_empty || { echo "$DATA/tmp not emptied after the client left:" >&2; ls -la "$DATA/tmp" >&2; return 1; }
	image_absent "$FAKEREG/slow/img:latest"
	[ -z "$(layer_dirs)" ] || { echo "layer dirs after a cancelled pull: $(layer_dirs)" >&2; return 1; }
	fakereg_ctl slow=0
	run dk pull "$FAKEREG/slow/img"
	assert_status 0
	stop_daemon
}

@test "disk full (small tmpfs data root): ENOSPC error, tmp emptied, the daemon lives on" {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	e2e_new_env diskfull
	mkdir -p "$DATA"
	mount -t tmpfs -o size=3m tmpfs "$DATA" || skip "cannot mount a tmpfs"
	start_daemon
	local before
	before=$(layer_dirs)
	fakereg_ctl slow=0
	run timeout 120 "$DOCKER" -H "unix://$SOCK" pull "$FAKEREG/slow/img"
	assert_failure
	assert_match "$output" '[Nn]o space left on device'
	nothing_stored "$FAKEREG/slow/img:latest" "$before"
	ping_ok
	# and a small image still fits afterwards
	run dk pull "$FAKEREG/ok/plain"
	assert_status 0
	stop_daemon
	umount "$DATA"
}
