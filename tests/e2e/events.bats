#!/usr/bin/env bats
# /events: streaming, since/until windows, filters, the daemon reload event,
# through the docker CLI, curl, the Python SDK and our CLI.

load helpers

setup_file() {
	e2e_setup_file
	start_daemon
}

teardown_file() {
	e2e_teardown_file
}

teardown() {
	# A background events client of a failed test must not outlive it.
	if [ -n "${EV_PID:-}" ]; then
		kill "$EV_PID" 2>/dev/null
		EV_PID=
	fi
	e2e_teardown
}

# reload_window: send one SIGHUP and wait until its reload event can be read
# back; sets T0 (before the signal) and T1 (after the event was seen), so
# that [T0, T1] holds exactly that one reload event.
reload_window() {
	T0=$(now_ts)
	kill -HUP "$DAEMON_PID"
	wait_for 15 reload_seen_since "$T0" || {
		echo "no reload event after SIGHUP within 15 s" >&2
		return 1
	}
	T1=$(now_ts)
}

reload_seen_since() {
	local out
	out=$(curl -s --max-time 5 --unix-socket "$SOCK" -G http://localhost/events \
		--data-urlencode "since=$1" --data-urlencode "until=$(now_ts)" \
		--data-urlencode 'filters={"type":["daemon"]}')
	[[ $out == *'"reload"'* ]]
}

@test "docker: events --since 0 --until 1 returns at once" {
	run timeout 10 "$DOCKER" -H "unix://$SOCK" events --since 0 --until 1
	assert_status 0
	assert_eq "$output" "" output
}

@test "docker: events with until in the past returns at once" {
	run timeout 10 "$DOCKER" -H "unix://$SOCK" events --since 0 --until "$(($(date +%s) - 60))"
	assert_status 0
}

@test "api: /events?since=0&until=1 is 200 application/json with no events" {
	api GET '/events?since=0&until=1'
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$HTTP_BODY" "" body
}

@test "api: /events sends its headers at once and streams chunked" {
	local hdr=$E2E_TMP/events-hdr
	# No until: the stream stays open; curl gives up after 3 s (status 28)
	# but must have the headers by then.
	run curl -sS -N --max-time 3 -D "$hdr" -o /dev/null --unix-socket "$SOCK" http://localhost/events
	assert_eq "$status" 28 "curl status (28 = timed out while streaming)"
	HTTP_HEADERS=$(tr -d '\r' <"$hdr")
	assert_match "$(head -n1 <<<"$HTTP_HEADERS")" '^HTTP/1.1 200' "status line"
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(header Transfer-Encoding)" chunked Transfer-Encoding
}

@test "api: /events with since after until is 400" {
	api GET '/events?since=10&until=5'
	assert_eq "$HTTP_STATUS" 400 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(json_get .message)" '`since` time (10) cannot be after `until` time (5)' message
}

@test "api: /events with malformed filters JSON is 400" {
	api GET '/events?until=1&filters=%7Bbad'
	assert_eq "$HTTP_STATUS" 400 status
	assert_eq "$(header Content-Type)" application/json Content-Type
}

@test "docker: streaming events receive the daemon reload event on SIGHUP" {
	local f=$E2E_TMP/stream.json
	: >"$f"
	"$DOCKER" -H "unix://$SOCK" events --filter type=daemon --format '{{json .}}' >"$f" 2>&1 3>&- &
	EV_PID=$!
	# The subscription may not be in place yet when the first SIGHUP arrives;
	# every SIGHUP emits a reload event, so repeat until the stream shows one.
	local deadline=$((SECONDS + 20))
	until grep -q '"reload"' "$f"; do
		[ $SECONDS -lt $deadline ] || { echo "no reload event on the stream; got: $(cat "$f")" >&2; false; }
		! proc_gone "$EV_PID" || { echo "docker events exited: $(cat "$f")" >&2; false; }
		kill -HUP "$DAEMON_PID"
		wait_for 1 grep -q '"reload"' "$f" || true
	done
	kill "$EV_PID"
	EV_PID=
	local ev id
	ev=$(grep -m1 '"reload"' "$f")
	assert_eq "$(jq -r .Type <<<"$ev")" daemon Type
	assert_eq "$(jq -r .Action <<<"$ev")" reload Action
	assert_eq "$(jq -r .scope <<<"$ev")" local scope
	api GET /info
	id=$(json_get .ID)
	assert_eq "$(jq -r .Actor.ID <<<"$ev")" "$id" "Actor.ID (the daemon ID)"
	assert_eq "$(jq -r .Actor.Attributes.name <<<"$ev")" "$(hostname)" "Actor.Attributes.name"
	jq -e '(.time | type == "number") and (.timeNano | type == "number")
		and ((.timeNano / 1000000000 | floor) == .time)' <<<"$ev" >/dev/null ||
		{ echo "bad time/timeNano: $ev" >&2; false; }
	# The daemon keeps serving with the stream gone.
	ping_ok
}

@test "events: since/until select a window" {
	reload_window
	local n
	n=$(timeout 10 "$DOCKER" -H "unix://$SOCK" events --since "$T0" --until "$T1" \
		--filter type=daemon --format '{{.Action}}' | grep -c '^reload$' || true)
	assert_eq "$n" 1 "reload events in [T0, T1]"
	# After T1: none (nothing signalled the daemon since).
	n=$(timeout 10 "$DOCKER" -H "unix://$SOCK" events --since "$T1" --until "$(now_ts)" \
		--filter type=daemon --format '{{.Action}}' | grep -c '^reload$' || true)
	assert_eq "$n" 0 "reload events after T1"
}

@test "events: type and event filters" {
	reload_window
	local out
	out=$(timeout 10 "$DOCKER" -H "unix://$SOCK" events --since "$T0" --until "$T1" --filter type=daemon --format '{{.Type}} {{.Action}}')
	assert_eq "$out" "daemon reload" "type=daemon"
	out=$(timeout 10 "$DOCKER" -H "unix://$SOCK" events --since "$T0" --until "$T1" --filter event=reload --format '{{.Type}} {{.Action}}')
	assert_eq "$out" "daemon reload" "event=reload"
	out=$(timeout 10 "$DOCKER" -H "unix://$SOCK" events --since "$T0" --until "$T1" --filter type=daemon --filter event=reload --format '{{.Action}}')
	assert_eq "$out" "reload" "type=daemon + event=reload"
	out=$(timeout 10 "$DOCKER" -H "unix://$SOCK" events --since "$T0" --until "$T1" --filter type=container --format '{{.Action}}')
	assert_eq "$out" "" "type=container"
	out=$(timeout 10 "$DOCKER" -H "unix://$SOCK" events --since "$T0" --until "$T1" --filter event=start --format '{{.Action}}')
	assert_eq "$out" "" "event=start"
	# Both filter encodings clients send: Go's map form and docker-py's list form.
	api GET "/events?since=$T0&until=$T1&filters=$(jq -rn '{"type":{"daemon":true}} | tojson | @uri')"
	assert_eq "$(jq -r .Action <<<"$HTTP_BODY")" reload "map-form filter"
	api GET "/events?since=$T0&until=$T1&filters=$(jq -rn '{"event":["reload"]} | tojson | @uri')"
	assert_eq "$(jq -r .Action <<<"$HTTP_BODY")" reload "list-form filter"
	api GET "/events?since=$T0&until=$T1&filters=$(jq -rn '{"type":["volume"]} | tojson | @uri')"
	assert_eq "$HTTP_BODY" "" "type=volume"
}

@test "events: the daemon keeps serving while a stream is open" {
	local f=$E2E_TMP/stream2.out
	curl -sS -N --unix-socket "$SOCK" http://localhost/events >"$f" 2>&1 3>&- &
	EV_PID=$!
	local i
	for i in 1 2 3 4 5; do
		ping_ok || { echo "/_ping failed with an events stream open" >&2; false; }
	done
	api GET /info
	assert_eq "$HTTP_STATUS" 200 "/info with a stream open"
	kill "$EV_PID"
	EV_PID=
}

@test "sdk: events(since, until, decode=True)" {
	require_docker_sdk
	reload_window
	run py_sdk '
evs = list(c.events(since='"$T0"', until='"$T1"', decode=True))
print(json.dumps([(e["Type"], e["Action"]) for e in evs]))
empty = list(c.events(since=0, until=1, decode=True))
assert empty == [], empty
'
	assert_status 0
	assert_eq "$output" '[["daemon", "reload"]]'
}

@test "berth: events --since/--until shows the reload event" {
	reload_window
	run timeout 10 "$BERTH" -H "unix://$SOCK" events --since "$T0" --until "$T1" --format '{{.Type}} {{.Action}}'
	assert_status 0
	assert_eq "$output" "daemon reload"
	run timeout 10 "$BERTH" -H "unix://$SOCK" events --since "$T0" --until "$T1" --format '{{json .}}'
	assert_status 0
	assert_eq "$(jq -r .Action <<<"$output")" reload "json Action"
}

@test "berth: events --since 0 --until 1 returns at once" {
	run timeout 10 "$BERTH" -H "unix://$SOCK" events --since 0 --until 1
	assert_status 0
	assert_eq "$output" ""
}

@test "berth: streaming events receive the reload event" {
	local f=$E2E_TMP/bstream.out
	: >"$f"
	"$BERTH" -H "unix://$SOCK" events --filter type=daemon --format '{{.Type}} {{.Action}}' >"$f" 2>&1 3>&- &
	EV_PID=$!
	local deadline=$((SECONDS + 20))
	until grep -q 'daemon reload' "$f"; do
		[ $SECONDS -lt $deadline ] || { echo "no reload event on berth events; got: $(cat "$f")" >&2; false; }
		! proc_gone "$EV_PID" || { echo "berth events exited: $(cat "$f")" >&2; false; }
		kill -HUP "$DAEMON_PID"
		wait_for 1 grep -q 'daemon reload' "$f" || true
	done
	kill "$EV_PID"
	EV_PID=
}
