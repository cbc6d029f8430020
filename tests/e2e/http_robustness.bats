#!/usr/bin/env bats
# Malformed and hostile HTTP must get a 4xx or a close, never take the
# daemon down or stop it serving others; many keep-alive clients at once.
# Raw requests come from tests/helpers/rawhttp.py (Python stdlib, Unix
# socket only).

load helpers

RAW="python3 $HELPERS/rawhttp.py --timeout 30"

setup_file() {
	e2e_setup_file
	start_daemon
}

teardown_file() {
	e2e_teardown_file
}

teardown() {
	e2e_teardown
}

# hex STRING: printf STRING | hex digits (for rawhttp.py send).
hex() { printf "$1" | od -An -tx1 | tr -d ' \n'; }

# daemon_fds: how many fds the daemon holds.
daemon_fds() { find "/proc/$DAEMON_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
fds_at_most() { [ "$(daemon_fds)" -le "$1" ]; }

# still_serving: the daemon is alive and answers a fresh client.
still_serving() {
	daemon_running || { echo "the daemon died" >&2; return 1; }
	ping_ok || { echo "the daemon no longer answers /_ping" >&2; return 1; }
	api GET /version
	[ "$HTTP_STATUS" = 200 ] || { echo "/version after the bad request: $HTTP_STATUS" >&2; return 1; }
}

@test "http: garbage request line gets 400 or a close" {
	run $RAW "$SOCK" garbage
	assert_status 0
	still_serving
}

@test "http: a 1 MiB header gets 4xx or a close" {
	run $RAW "$SOCK" bigheader
	assert_status 0
	still_serving
}

@test "http: a 1 MiB request target gets 4xx or a close" {
	run $RAW "$SOCK" biguri
	assert_status 0
	still_serving
}

@test "http: a bad chunk size gets 4xx or a close" {
	run $RAW "$SOCK" badchunk
	assert_status 0
	still_serving
}

@test "http: bodies cut short by the client closing are dropped and released" {
	local base
	base=$(daemon_fds)
	run $RAW "$SOCK" truncated 60
	assert_status 0
	still_serving
	# Every one of those connections is released, not held until a timeout.
	wait_for 10 fds_at_most "$base" || { echo "daemon fds: $base before, $(daemon_fds) after" >&2; false; }
}

@test "http: HTTP/1.0 without Host is served" {
	run $RAW "$SOCK" send "$(hex 'GET /_ping HTTP/1.0\r\n\r\n')"
	assert_status 0
	assert_eq "$output" "result=200"
	still_serving
}

@test "http: an unknown method gets 4xx or a close" {
	run $RAW "$SOCK" send "$(hex 'BREW /_ping HTTP/1.1\r\nHost: x\r\n\r\n')"
	assert_status 0
	assert_match "$output" '^result=(4[0-9][0-9]|closed)$'
	still_serving
}

@test "http: a request line without a version gets 4xx or a close" {
	run $RAW "$SOCK" send "$(hex 'GET /_ping\r\n\r\n')"
	assert_status 0
	assert_match "$output" '^result=(4[0-9][0-9]|closed)$'
	still_serving
}

@test "http: stalled clients do not stop the daemon answering others" {
	# 20 connections stall mid request line, mid headers, mid body and mid
	# chunk while 200 /_ping requests on fresh connections must succeed.
	local base
	base=$(daemon_fds)
	run $RAW "$SOCK" slow 20 200
	echo "$output"
	assert_status 0
	still_serving
	# The stalled connections were closed by the client: all released.
	wait_for 10 fds_at_most "$base" || { echo "daemon fds: $base before, $(daemon_fds) after" >&2; false; }
}

@test "http: /_ping from another connection succeeds while a request stalls" {
	local flag=$E2E_TMP/hold
	touch "$flag"
	$RAW "$SOCK" hold "$flag" >"$E2E_TMP/hold.out" 2>&1 3>&- &
	local holder=$!
	wait_for 10 test -e "$flag.ready" || { rm -f "$flag"; echo "stalling client did not connect" >&2; false; }
	local i ok=0
	for i in $(seq 1 20); do
		ping_ok && ok=$((ok + 1))
	done
	rm -f "$flag"
	local rc=0
	wait "$holder" || rc=$?
	assert_eq "$ok" 20 "pings answered while a request stalls"
	assert_eq "$rc" 0 "stalled client (output: $(cat "$E2E_TMP/hold.out"))"
	still_serving
}

@test "http: pipelined keep-alive requests are all answered in order" {
	run $RAW "$SOCK" pipeline 50
	echo "$output"
	assert_status 0
}

@test "http: 200 concurrent keep-alive clients x 50 /_ping all succeed" {
	run timeout 90 $RAW --timeout 60 "$SOCK" concurrent 200 50
	echo "$output"
	assert_status 0
	assert_contains "$output" "requests_ok=10000/10000"
	still_serving
}

@test "http: docker CLI keeps working after all of the above" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.APIVersion}}'
	assert_status 0
	assert_eq "$output" "$API_MAX"
}

@test "http: Content-Length and chunked request bodies are accepted on GET" {
	api GET /_ping -H 'Content-Length: 3' --data-binary abc
	assert_eq "$HTTP_STATUS:$HTTP_BODY" "200:OK" "Content-Length body"
	api GET /_ping -H 'Transfer-Encoding: chunked' --data-binary abc
	assert_eq "$HTTP_STATUS:$HTTP_BODY" "200:OK" "chunked body"
}
