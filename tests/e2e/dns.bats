#!/usr/bin/env bats
# The embedded DNS of user-defined networks (issue 5), through the docker
# CLI, busybox's nslookup/ping/nc inside containers, and tests/helpers/dnsq.py
# run inside a container's network namespace (nsenter) for what busybox
# cannot ask (TCP, PTR, garbage): container names, network aliases, the
# short ID, name.network, --link, host.docker.internal, --add-host
# host-gateway, resolv.conf as docker writes it, names that come and go,
# forwarding to an upstream, and a daemon crash.
#
# Traffic goes only to 127.0.0.1 and to containers on networks these tests
# create. No query may leave the host: every client container whose query
# could be forwarded has --dns 127.0.0.1, which the resolver reaches from the
# host's namespace, where either nothing listens (SERVFAIL at once) or the
# test's fake upstream (dnsq.py serve) does.

bats_require_minimum_version 1.5.0

load helpers
load images_helpers
load containers_helpers
load networks_helpers

DNSQ=$BATS_TEST_DIRNAME/../helpers/dnsq.py

# nsq CONTAINER ARGS...: dnsq.py inside CONTAINER's network namespace.
nsq() {
	local pid
	pid=$(insp "$1" '{{.State.Pid}}')
	shift
	nsenter --net="/proc/$pid/ns/net" python3 "$DNSQ" "$@"
}

# upstream: a fake upstream DNS server on 127.0.0.1:53 answering 10.9.9.9,
# logging asked names to $T/upstream.log; skips when port 53 is taken.
upstream() {
	: >"$T/upstream.log"
	python3 "$DNSQ" serve 127.0.0.1 53 10.9.9.9 "$T/upstream.log" >"$T/upstream.out" 2>&1 &
	echo $! >>"$T/pids"
	wait_for 10 grep -q ready "$T/upstream.out" ||
		skip "127.0.0.1:53 is taken on this host: $(cat "$T/upstream.out")"
}

teardown() {
	local p
	[ ! -f "${T:-}/pids" ] || while read -r p; do kill "$p" 2>/dev/null; done <"$T/pids"
	local n nets=() rc=0
	[ ! -f "${T:-}/networks" ] || mapfile -t nets <"$T/networks"
	ctr_teardown || rc=1
	for n in "${nets[@]}"; do
		dk network rm "$n" >/dev/null 2>&1 || true
	done
	return $rc
}

@test "dns: two containers on a user network reach each other by name and by alias" {
	local net a b
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname a)
	b=$(cname b)
	dk run -d --name "$a" --network "$net" --network-alias "web-$a" busybox \
		sh -c 'while true; do echo hello | nc -l -p 7000; done' >/dev/null
	run dk run --rm --name "$b" --network "$net" --dns 127.0.0.1 busybox sh -c \
		"ping -c1 -W3 $a && ping -c1 -W3 web-$a && nc $a 7000 </dev/null"
	assert_status 0
	assert_contains "$output" "1 packets received"
	assert_contains "$output" "hello"
	ip=$(insp "$a" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")
	assert_contains "$output" "PING $a ($ip)"
	assert_contains "$output" "PING web-$a ($ip)"
}

@test "dns: resolv.conf names 127.0.0.11 with ndots:0 on a user network; inspect shows DNSNames" {
	local net a
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname)
	run dk run --name "$a" --network "$net" --network-alias al1 --dns-search example.test \
		--dns-option timeout:2 busybox cat /etc/resolv.conf
	assert_status 0
	assert_contains "$output" "nameserver 127.0.0.11"
	assert_contains "$output" "search example.test"
	assert_contains "$output" "options ndots:0 timeout:2"
	[ "$(grep -c '^nameserver' <<<"$output")" = 1 ] || { echo "one nameserver only" >&2; return 1; }
	# DNSNames are the running endpoint's
	dk rm "$a" >/dev/null
	dk run -d --name "$a" --network "$net" --network-alias al1 busybox sleep 100 >/dev/null
	run insp "$a" "{{json (index .NetworkSettings.Networks \"$net\").DNSNames}}"
	assert_contains "$output" "\"$a\""
	assert_contains "$output" '"al1"'
	assert_contains "$output" "\"$(insp "$a" '{{.Id}}' | cut -c1-12)\""
}

@test "dns: the default bridge resolves no container names" {
	local a
	a=$(cname)
	dk run -d --name "$a" busybox sleep 100 >/dev/null
	run dk run --rm --dns 127.0.0.1 busybox sh -c "cat /etc/resolv.conf; ping -c1 -W2 $a"
	[ "$status" -ne 0 ] || { echo "$a resolved on the default bridge: $output" >&2; return 1; }
	assert_not_contains "$output" "127.0.0.11"
	assert_contains "$output" "nameserver 127.0.0.1"
}

@test "dns: the short ID, name.network, AAAA (no data), PTR and TCP" {
	berth_only "queries 127.0.0.11 from inside the namespace with nsenter"
	local net a b ip
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname a)
	b=$(cname b)
	dk run -d --name "$a" --network "$net" busybox sleep 100 >/dev/null
	dk run -d --name "$b" --network "$net" --dns 127.0.0.1 busybox sleep 100 >/dev/null
	ip=$(insp "$a" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")
	run nsq "$b" query 127.0.0.11 "$(insp "$a" '{{.Id}}' | cut -c1-12)"
	assert_eq "$output" "rcode=0
A $ip"
	run nsq "$b" query 127.0.0.11 "${a^^}.$net"
	assert_eq "$output" "rcode=0
A $ip"
	run nsq "$b" query 127.0.0.11 "$a" AAAA
	assert_eq "$output" "rcode=0"
	run nsq "$b" query 127.0.0.11 "$ip" PTR
	assert_eq "$output" "rcode=0
PTR $a.$net"
	run nsq "$b" query 127.0.0.11 "$a" A --tcp
	assert_eq "$output" "rcode=0
A $ip"
}

@test "dns: names follow containers as they start, stop and connect; unknown names are forwarded" {
	berth_only "queries 127.0.0.11 from inside the namespace with nsenter"
	upstream
	local net a b c
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname a)
	b=$(cname b)
	c=$(cname c)
	dk run -d --name "$b" --network "$net" --dns 127.0.0.1 busybox sleep 100 >/dev/null
	dk run -d --name "$a" --network "$net" busybox sleep 100 >/dev/null
	run nsq "$b" query 127.0.0.11 "$a"
	assert_contains "$output" "A $(insp "$a" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")"
	# a name berth does not know goes to the upstream, and its answer back
	run nsq "$b" query 127.0.0.11 "elsewhere.example.test"
	assert_eq "$output" "rcode=0
A 10.9.9.9"
	grep -qx "elsewhere.example.test" "$T/upstream.log" || { echo "upstream not asked" >&2; return 1; }
	grep -qx "$a" "$T/upstream.log" && { echo "a container name was forwarded" >&2; return 1; }
	# a TCP client's query goes upstream over TCP
	run nsq "$b" query 127.0.0.11 "bytcp.example.test" A --tcp
	assert_eq "$output" "rcode=0
A 10.9.9.9"
	grep -qx "tcp bytcp.example.test" "$T/upstream.log" || { echo "not forwarded over TCP" >&2; return 1; }
	# stopped: no longer berth's name
	dk stop -t 0 "$a" >/dev/null
	run nsq "$b" query 127.0.0.11 "$a"
	assert_eq "$output" "rcode=0
A 10.9.9.9"
	# a container on another network joins: its name appears
	dk run -d --name "$c" busybox sleep 100 >/dev/null
	run nsq "$b" query 127.0.0.11 "$c"
	assert_eq "$output" "rcode=0
A 10.9.9.9"
	dk network connect --alias "cal-$c" "$net" "$c"
	run nsq "$b" query 127.0.0.11 "cal-$c"
	assert_eq "$output" "rcode=0
A $(insp "$c" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")"
	# and the connected container has the resolver too
	run nsq "$c" query 127.0.0.11 "$b"
	assert_contains "$output" "A $(insp "$b" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")"
}

@test "dns: a silent upstream gives SERVFAIL; garbage gets nothing and breaks nothing" {
	berth_only "queries 127.0.0.11 from inside the namespace with nsenter"
	local net a
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname)
	# nothing listens on the host's 127.0.0.1:53 in most setups; either way
	# the answer is not from off the host
	dk run -d --name "$a" --network "$net" --dns 127.0.0.1 busybox sleep 100 >/dev/null
	if ! ss -Hlun 'sport = :53' | grep -q 127.0.0.1; then
		run nsq "$a" query 127.0.0.11 "nothing.example.test"
		assert_eq "$output" "rcode=2"
		run nsq "$a" query 127.0.0.11 "nothing.example.test" A --tcp
		assert_eq "$output" "rcode=2"
	fi
	for hex in 00 0001 ffffffffffffffffffffffff 000001000001000000000000c00c00010001 \
		0000010000010000000000003f$(printf 'a%.0s' {1..10}); do
		run nsq "$a" raw 127.0.0.11 "$hex"
		assert_eq "$output" "timeout"
	done
	run nsq "$a" query 127.0.0.11 "$a"
	assert_contains "$output" "rcode=0"
	daemon_running
}

@test "dns: --link aliases on a user network and on the default bridge" {
	local net a
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname a)
	dk run -d --name "$a" --network "$net" busybox sleep 100 >/dev/null
	run dk run --rm --network "$net" --dns 127.0.0.1 --link "$a:linked" busybox ping -c1 -W3 linked
	assert_status 0
	assert_contains "$output" "1 packets received"
	local d
	d=$(cname d)
	dk run -d --name "$d" -e LINKED_V=1 --expose 6379 busybox sleep 100 >/dev/null
	run dk run --rm --link "$d:dblink" busybox sh -c 'cat /etc/hosts; env; ping -c1 -W3 dblink'
	assert_status 0
	# docker's legacy link variables
	local dip
	dip=$(insp "$d" '{{.NetworkSettings.IPAddress}}')
	assert_contains "$output" "DBLINK_PORT=tcp://$dip:6379"
	assert_contains "$output" "DBLINK_PORT_6379_TCP_ADDR=$dip"
	assert_contains "$output" "DBLINK_ENV_LINKED_V=1"
	assert_match "$output" "DBLINK_NAME=/[a-z_]+/dblink"
	assert_contains "$output" "$(insp "$d" '{{.NetworkSettings.IPAddress}}')	dblink $(insp "$d" '{{.Id}}' | cut -c1-12) $d"
	assert_contains "$output" "1 packets received"
	# a link to nothing, or with the host's network, is refused at create
	run dk create --link "nosuch-$d:x" busybox true
	assert_failure
	assert_contains "$output" "could not get container for nosuch-$d"
	run dk create --network host --link "$d:x" busybox true
	assert_failure
	assert_contains "$output" "conflicting options: host type networking can't be used with links"
}

@test "dns: host.docker.internal and --add-host host-gateway name the host" {
	local net gw
	net=$(nname)
	dk network create "$net" >/dev/null
	gw=$(dk network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$net")
	run dk run --rm --network "$net" --add-host "myhost:host-gateway" busybox cat /etc/hosts
	assert_status 0
	assert_contains "$output" "$gw	myhost"
	assert_contains "$output" "$gw	host.docker.internal"
	gw=$(dk network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' bridge)
	run dk run --rm busybox cat /etc/hosts
	assert_contains "$output" "$gw	host.docker.internal"
	# the host answers there: ping the gateway by name
	run dk run --rm busybox ping -c1 -W3 host.docker.internal
	assert_status 0
	assert_contains "$output" "1 packets received"
}

@test "dns: the redis fixture is reached by name from a second container (RESP over nc)" {
	local net r
	ensure_image redis:7
	net=$(nname)
	dk network create "$net" >/dev/null
	r=$(cname redis)
	dk run -d --name "$r" --network "$net" redis:7 >/dev/null
	wait_log "$r" "Ready to accept connections"
	run dk run --rm --network "$net" --dns 127.0.0.1 busybox sh -c "printf 'PING\\r\\n' | nc -w 2 $r 6379"
	assert_contains "$output" "PONG"
	run dk run --rm --network "$net" --dns 127.0.0.1 busybox sh -c \
		"printf 'SET k dns-ok\\r\\nGET k\\r\\n' | nc -w 2 $r 6379"
	assert_contains "$output" "dns-ok"
}

@test "dns: after kill -9 of the daemon and a restart, running containers resolve names again" {
	berth_only "kills berth's daemon"
	local net a b
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname a)
	b=$(cname b)
	dk run -d --name "$a" --network "$net" --network-alias "al-$a" busybox sleep 100 >/dev/null
	dk run -d --name "$b" --network "$net" --dns 127.0.0.1 busybox sleep 100 >/dev/null
	kill_daemon_hard
	start_env_daemon
	run dk exec "$b" ping -c1 -W3 "al-$a"
	assert_status 0
	assert_contains "$output" "1 packets received"
}

@test "dns: the daemon's dns, dns-search, dns-opts and host-gateway-ip; a bad dns is refused" {
	berth_only "restarts berth's daemon with another daemon.json"
	local orig net
	orig=$(cat "$CONF")
	stop_daemon
	jq '. + {"dns": ["127.0.0.1"], "dns-search": ["corp.example"], "dns-opts": ["attempts:1"],
		"host-gateway-ip": "192.0.2.1"}' <<<"$orig" >"$CONF"
	start_env_daemon
	run dk run --rm busybox sh -c 'cat /etc/resolv.conf /etc/hosts'
	assert_status 0
	assert_contains "$output" "nameserver 127.0.0.1"
	assert_contains "$output" "search corp.example"
	assert_contains "$output" "options attempts:1"
	assert_contains "$output" "192.0.2.1	host.docker.internal"
	# a container's own --dns wins; on a user network the daemon's servers are the upstreams
	net=$(nname)
	dk network create "$net" >/dev/null
	run dk run --rm --network "$net" busybox cat /etc/resolv.conf
	assert_contains "$output" "ExtServers: [127.0.0.1]"
	assert_contains "$output" "nameserver 127.0.0.11"
	assert_contains "$output" "options ndots:0 attempts:1"
	stop_daemon
	jq '. + {"dns": ["not-an-ip"]}' <<<"$orig" >"$CONF"
	run "$BERTH" daemon --host "unix://$SOCK.bad" --data-root "$DATA" --exec-root "$EXEC" --config-file "$CONF"
	assert_failure
	assert_contains "$output" "not-an-ip is not an ip address"
	printf '%s\n' "$orig" >"$CONF"
	start_env_daemon
}

@test "dns: a renamed container answers to its new name only" {
	berth_only "queries 127.0.0.11 from inside the namespace with nsenter"
	local net a b
	net=$(nname)
	dk network create "$net" >/dev/null
	a=$(cname a)
	b=$(cname b)
	dk run -d --name "$a" --network "$net" busybox sleep 100 >/dev/null
	dk run -d --name "$b" --network "$net" --dns 127.0.0.1 busybox sleep 100 >/dev/null
	dk rename "$a" "$a-new"
	track "$a-new"
	run nsq "$b" query 127.0.0.11 "$a-new"
	assert_contains "$output" "A $(insp "$a-new" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")"
	run insp "$a-new" "{{json (index .NetworkSettings.Networks \"$net\").DNSNames}}"
	assert_contains "$output" "\"$a-new\""
	assert_not_contains "$output" "\"$a\""
}
