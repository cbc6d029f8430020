#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154 # Go templates in single quotes; bats sets $stderr
# Our CLI's network commands and `port` against a berth daemon, compared
# with the docker 28 CLI on the same daemon: network create, ls (list),
# inspect, rm (remove), prune, connect and disconnect, the `network` group,
# and port / container port. Where the data allows, berth's output must be
# docker's, byte for byte.
#
# Networks are named "$NP-..." (unique to this file's run) and removed in
# teardown; containers carry the label berth-e2e-net=1 and are removed too.

bats_require_minimum_version 1.5.0

load helpers

REGISTRY=127.0.0.1:5000

setup_file() {
	e2e_setup_file
	if curl -sf --max-time 5 "http://$REGISTRY/v2/" >/dev/null; then
		start_daemon --registry-mirror "http://$REGISTRY"
	else
		start_daemon
	fi
	timeout 120 "$DOCKER" -H "unix://$SOCK" pull -q busybox >/dev/null 2>&1 || true
	export NP=bnet$$
}

teardown_file() {
	e2e_teardown_file
}

teardown() {
	local ids n
	ids=$(dk ps -aq --filter label=berth-e2e-net=1 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1 || true
	for n in $(dk network ls -q --filter "name=$NP-" 2>/dev/null); do
		dk network rm "$n" >/dev/null 2>&1 || true
	done
	e2e_teardown
}

need_busybox() {
	dk image inspect busybox >/dev/null 2>&1 ||
		skip "busybox not available (fixture registry on $REGISTRY)"
}

L=(--label berth-e2e-net=1)

# same_as_docker ARGS...: berth and docker print the same stdout and stderr
# (docker's name replaced by ours) and exit alike. Only for commands that
# change nothing, or fail alike for both.
same_as_docker() {
	local d=$E2E_TMP/cmp.$RANDOM f rc=0
	mkdir -p "$d"
	dk "$@" >"$d/d.out" 2>"$d/d.err" </dev/null && echo 0 >"$d/d.rc" || echo $? >"$d/d.rc"
	bt "$@" >"$d/b.out" 2>"$d/b.err" </dev/null && echo 0 >"$d/b.rc" || echo $? >"$d/b.rc"
	sed -i 's/docker/berth/g; s/docs\.berth\.com/docs.docker.com/g' "$d"/*.out "$d"/*.err
	for f in out err rc; do
		if ! cmp -s "$d/d.$f" "$d/b.$f"; then
			echo "berth $* differs from docker in $f:" >&2
			diff "$d/d.$f" "$d/b.$f" | head -n 30 >&2
			rc=1
		fi
	done
	rm -rf "$d"
	return $rc
}

@test "cli networks: help texts are docker's" {
	local c
	same_as_docker network
	same_as_docker network --help
	for c in create ls list inspect rm remove prune connect disconnect; do
		same_as_docker network "$c" --help
	done
	same_as_docker port --help
	same_as_docker container port --help
	run bt --help
	assert_contains "$output" "  network     Manage networks"
}

@test "cli networks: create prints the ID; ls, list and inspect show the network" {
	run bt network create "$NP-a"
	assert_status 0
	assert_match "$output" '^[0-9a-f]{64}$'
	local id=$output
	run bt network ls
	assert_status 0
	assert_match "${lines[0]}" '^NETWORK ID +NAME +DRIVER +SCOPE$' "ls header"
	assert_match "$output" "${id:0:12}   $NP-a +bridge +local"
	run bt network list -q --no-trunc --filter "name=$NP-a"
	assert_eq "$output" "$id"
	run bt network inspect -f '{{.Name}} {{.ID}} {{.Driver}} {{.Scope}}' "$NP-a"
	assert_eq "$output" "$NP-a $id bridge local"
	same_as_docker network ls
	same_as_docker network ls --no-trunc
	same_as_docker network ls -q
	same_as_docker network ls --format json
	same_as_docker network ls --format raw
	same_as_docker network ls --format 'table {{.Name}}\t{{.Driver}}\t{{.Internal}}\t{{.CreatedAt}}'
	same_as_docker network ls --format '{{.Name}}: {{.Labels}}' --filter "name=$NP-"
	same_as_docker network ls --filter driver=bridge --filter "name=$NP"
	same_as_docker network inspect "$NP-a"
	same_as_docker network inspect "$NP-a" bridge host
	same_as_docker network inspect --format json "$NP-a"
	same_as_docker network inspect -v "$NP-a"
}

@test "cli networks: create with IPAM flags, labels and options" {
	run bt network create --subnet 10.231.7.0/24 --gateway 10.231.7.1 --ip-range 10.231.7.128/25 \
		--label a=b --label c -o foo=bar --internal --attachable "$NP-b"
	assert_status 0
	run bt network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}' "$NP-b"
	assert_eq "$output" "10.231.7.0/24 10.231.7.1 10.231.7.128/25"
	run bt network inspect -f '{{.Internal}} {{.Attachable}} {{json .Labels}} {{json .Options}}' "$NP-b"
	assert_eq "$output" 'true true {"a":"b","c":""} {"foo":"bar"}'
	run bt network ls --filter "name=$NP-b" --format '{{.Name}} {{.Internal}} {{.Labels}}'
	assert_eq "$output" "$NP-b true a=b,c="
	local t
	for t in '{{.Created}}' '{{.Id}} {{.Created}}' '{{json .IPAM}}' '{{json .}}' \
		'{{.Labels.a}} {{.Labels.zz}} {{index .Labels "zz"}}' '{{.EnableIPv4}} {{.IPAM.Options}}' \
		'{{range .IPAM.Config}}{{.IPRange}}|{{end}}' '{{.Nope}}' '{{.Name'; do
		same_as_docker network inspect -f "$t" "$NP-b" bridge
	done
}

@test "cli networks: create's flag errors are docker's" {
	same_as_docker network create
	same_as_docker network create a b
	same_as_docker network create --subnet 10.1.0.0/16 --gateway 10.2.0.1 "$NP-x"
	same_as_docker network create --ip-range 10.1.0.0/24 "$NP-x"
	same_as_docker network create --subnet 10.1.0.0/16,10.1.2.0/24 "$NP-x"
	same_as_docker network create --subnet 10.1.0.0/16 --ip-range bar "$NP-x"
	same_as_docker network create --subnet 10.1.0.0/16,10.2.0.0/16 --ip-range 10.1.1.0/24 \
		--ip-range 10.1.2.0/24 "$NP-x"
	same_as_docker network create --subnet 10.1.0.0/16,10.2.0.0/16 --gateway 10.1.0.1,10.1.0.2 "$NP-x"
	same_as_docker network create --subnet foo,bar "$NP-x"
	same_as_docker network create --subnet '"a' "$NP-x"
	same_as_docker network create --label =x "$NP-x"
	same_as_docker network create --label 'a b=c' "$NP-x"
	same_as_docker network create --ipv4=maybe "$NP-x"
	same_as_docker network create --bogus "$NP-x"
	run bt network ls -q --filter "name=$NP-x"
	assert_eq "$output" "" "networks left by failed creates"
}

@test "cli networks: rm and remove print each name; errors as docker's" {
	bt network create "$NP-r1" >/dev/null
	bt network create "$NP-r2" >/dev/null
	run --separate-stderr bt network rm "$NP-r1" "$NP-nosuch" "$NP-r2"
	assert_status 1
	assert_eq "$output" "$NP-r1"$'\n'"$NP-r2"
	assert_eq "$stderr" "Error response from daemon: network $NP-nosuch not found"$'\n'"exit status 1"
	bt network create "$NP-r3" >/dev/null
	run bt network remove -f "$NP-nosuch" "$NP-r3"
	assert_status 0
	assert_eq "$output" "$NP-r3"
	same_as_docker network rm "$NP-nosuch"
	same_as_docker network rm -f "$NP-nosuch"
	same_as_docker network rm ''
	same_as_docker network rm
	same_as_docker network rm bridge
	same_as_docker network inspect "$NP-nosuch"
	same_as_docker network inspect -f '{{.Name}}' "$NP-nosuch" bridge
	same_as_docker network inspect
}

@test "cli networks: prune asks, prints docker's report, honours --filter" {
	bt network create --label "$NP-keep=1" "$NP-p1" >/dev/null
	bt network create --label "$NP-gone=1" "$NP-p2" >/dev/null
	run bash -c "echo n | '$BERTH' -H unix://$SOCK network prune"
	assert_status 0
	assert_eq "$output" "WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue? [y/N] "
	run bt network ls -q --filter "name=$NP-p"
	assert_eq "${#lines[@]}" 2 "networks after a cancelled prune"
	run bt network prune -f --filter "label=$NP-gone=1"
	assert_status 0
	assert_eq "$output" "Deleted Networks:
$NP-p2"
	run bt network prune -f --filter "label=$NP-gone=1"
	assert_eq "$output" ""
	run bt network ls -q --filter "name=$NP-p1"
	assert_eq "${#lines[@]}" 1 "the network prune kept"
	same_as_docker network prune -f --filter bogus=1
	same_as_docker network prune x
	same_as_docker network prune --filter nofilter
}

@test "cli networks: connect and disconnect a container" {
	need_busybox
	bt network create --subnet 10.232.9.0/24 "$NP-c" >/dev/null
	bt create --name "$NP-ctr" "${L[@]}" busybox true >/dev/null
	run bt network connect --alias a1 --alias a2,a3 --ip 10.232.9.20 "$NP-c" "$NP-ctr"
	assert_status 0
	assert_eq "$output" ""
	run dk inspect -f "{{json (index .NetworkSettings.Networks \"$NP-c\").Aliases}} {{(index .NetworkSettings.Networks \"$NP-c\").IPAMConfig.IPv4Address}}" "$NP-ctr"
	assert_eq "$output" '["a1","a2","a3"] 10.232.9.20'
	same_as_docker network connect "$NP-c" "$NP-ctr"
	same_as_docker network connect "$NP-c" "$NP-nosuch"
	same_as_docker network connect "$NP-nosuch" "$NP-ctr"
	same_as_docker network connect --driver-opt x "$NP-c" "$NP-ctr"
	same_as_docker network connect --gw-priority x "$NP-c" "$NP-ctr"
	same_as_docker network connect --link a:b:c "$NP-c" "$NP-ctr"
	same_as_docker network connect '' "$NP-ctr"
	same_as_docker network connect "$NP-c"
	run bt network disconnect "$NP-c" "$NP-ctr"
	assert_status 0
	assert_eq "$output" ""
	run dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$NP-ctr"
	assert_not_contains "$output" "$NP-c"
	same_as_docker network disconnect "$NP-c" "$NP-ctr"
	same_as_docker network disconnect -f "$NP-c" "$NP-nosuch"
	same_as_docker network disconnect "$NP-c"
	run bt network rm "$NP-c"
	assert_eq "$output" "$NP-c"
}

@test "cli networks: port and container port print docker's mappings" {
	need_busybox
	bt run -d --name "$NP-port" "${L[@]}" -p 127.0.0.1::80 -p 127.0.0.1::443/tcp \
		-p 127.0.0.1::90/udp busybox sleep 300 >/dev/null
	run bt port "$NP-port"
	assert_status 0
	assert_eq "${#lines[@]}" 3 "mappings"
	assert_match "${lines[0]}" '^80/tcp -> 127\.0\.0\.1:[0-9]+$'
	assert_match "${lines[1]}" '^90/udp -> 127\.0\.0\.1:[0-9]+$'
	assert_match "${lines[2]}" '^443/tcp -> 127\.0\.0\.1:[0-9]+$'
	run bt port "$NP-port" 80
	assert_match "$output" '^127\.0\.0\.1:[0-9]+$'
	local a
	for a in "" 80 80/tcp 443 90/udp 90 81 99999 abc -1 ''; do
		same_as_docker port "$NP-port" $a
	done
	same_as_docker port "$NP-port" ''
	same_as_docker container port "$NP-port"
	same_as_docker container port "$NP-port" 443/tcp
	same_as_docker port "$NP-nosuch"
	same_as_docker port
	same_as_docker port a b c
}
