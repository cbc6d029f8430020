#!/usr/bin/env bats
# Networks and published ports through the real docker CLI, curl and the
# Python SDK (issue 5): the predefined networks, user-defined bridge
# networks (create, ls filters, inspect, rm, prune, connect, disconnect),
# container addresses on the default bridge and on user networks, traffic
# between containers of one network, published ports (-p, -P, docker port,
# a port in use), --internal, and the nftables rules across a daemon crash.
#
# Traffic goes only to 127.0.0.1 and to containers on the networks these
# tests create. Networks are named with nname and removed in teardown;
# containers with cname. Host ports are picked free by the kernel (free_port).

bats_require_minimum_version 1.5.0

load helpers
load images_helpers
load containers_helpers
load networks_helpers

# free_port: a TCP port nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# http_code URL: the status of a GET (000 when nothing answers).
http_code() { curl -s -m 5 -g -o /dev/null -w '%{http_code}' "$1" || true; }

# http_ok URL: it answers 200 now; wait_http URL: within 20 s, else fail.
http_ok() { [ "$(curl -s -m 2 -g -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; }
wait_http() { wait_for 20 http_ok "$1" || { echo "nothing answers 200 on $1" >&2; return 1; }; }

# the DNAT rules of berth's table for host port $1
dnat_rules() { nft list chain ip berth ports 2>/dev/null | grep -c "dport $1 dnat" || true; }

@test "networks: bridge, host and none exist; the predefined ones cannot be removed" {
	run dk network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
	assert_status 0
	assert_contains "$output" "bridge bridge local"
	assert_contains "$output" "host host local"
	assert_contains "$output" "none null local"
	run dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' bridge
	assert_status 0
	assert_match "$output" '^[0-9.]+/[0-9]+ [0-9.]+$' "bridge's IPAM"
	api DELETE /networks/bridge
	assert_eq "$HTTP_STATUS" 403 "removing bridge"
	assert_contains "$HTTP_BODY" "pre-defined network"
	api GET /networks/nope-e2e
	assert_eq "$HTTP_STATUS" 404 "a missing network"
}

@test "networks: create with subnet, gateway, ip-range and labels; inspect; ls filters; 409 on a name or subnet in use; rm" {
	local n m id
	n=$(nname a)
	m=$(nname b)
	run dk network create --subnet 10.231.0.0/24 --gateway 10.231.0.254 --ip-range 10.231.0.128/25 \
		--label e2e.net=$RUN_ID "$n"
	assert_status 0
	id=$output
	assert_eq "$(dk network inspect -f '{{.Id}}' "$n")" "$id" Id
	assert_eq "$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}' "$n")" \
		"10.231.0.0/24 10.231.0.254 10.231.0.128/25" IPAM
	assert_eq "$(dk network inspect -f '{{.Driver}} {{.Internal}} {{index .Labels "e2e.net"}}' "$n")" \
		"bridge false $RUN_ID" "driver, internal, label"
	run dk network ls -q --filter "label=e2e.net=$RUN_ID"
	assert_eq "$output" "${id:0:12}" "ls --filter label"
	run dk network ls --format '{{.Name}}' --filter "name=$n"
	assert_eq "$output" "$n" "ls --filter name"
	run dk network ls --format '{{.Name}}' --filter type=builtin
	assert_not_contains "$output" "$n" "type=builtin"
	run dk network create "$n"
	[ "$status" -ne 0 ] || { echo "a second network named $n was created" >&2; return 1; }
	api_json POST /networks/create "{\"Name\":\"$n\"}"
	assert_eq "$HTTP_STATUS" 409 "name in use"
	api_json POST /networks/create "{\"Name\":\"$m\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.231.0.0/16\"}]}}"
	assert_eq "$HTTP_STATUS" 409 "overlapping subnet"
	api_json POST /networks/create "{\"Name\":\"$m\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.232.0.1/24\"}]}}"
	assert_eq "$HTTP_STATUS" 400 "host bits in the subnet"
	run dk network rm "$n"
	assert_status 0
	run dk network inspect "$n"
	[ "$status" -ne 0 ] || { echo "$n still exists" >&2; return 1; }
}

@test "networks: a container on the default bridge gets an address, a gateway and its /etc/hosts line" {
	local n ip gw
	n=$(cname)
	sleeper "$n"
	ip=$(insp "$n" '{{.NetworkSettings.IPAddress}}')
	gw=$(insp "$n" '{{.NetworkSettings.Gateway}}')
	assert_match "$ip" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' IPAddress
	assert_eq "$(insp "$n" '{{.NetworkSettings.Networks.bridge.IPAddress}}')" "$ip" "Networks.bridge"
	run dk exec "$n" ip -o -4 addr show eth0
	assert_contains "$output" "inet $ip/"
	run dk exec "$n" ip route
	assert_contains "$output" "default via $gw dev eth0"
	run dk exec "$n" tail -1 /etc/hosts
	assert_match "$output" "^$ip[[:space:]]" "/etc/hosts names the address"
	assert_eq "$(insp "$n" '{{.NetworkSettings.MacAddress}}' | cut -c1-6)" "02:42:" MacAddress
}

@test "networks: two containers of a user network reach each other; a static --ip; nothing across networks" {
	local net other a b c ipa
	net=$(nname)
	other=$(nname other)
	dk network create --subnet 10.233.0.0/24 "$net" >/dev/null
	dk network create --subnet 10.234.0.0/24 "$other" >/dev/null
	a=$(cname a)
	b=$(cname b)
	c=$(cname c)
	sleeper "$a" --network "$net" --ip 10.233.0.50
	ipa=$(insp "$a" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")
	assert_eq "$ipa" 10.233.0.50 "static --ip"
	sleeper "$b" --network "$net"
	run dk exec "$b" ping -c1 -W5 "$ipa"
	assert_status 0
	dk exec -d "$a" nc -l -p 7000 -e echo hello-nc >/dev/null
	wait_for 10 bash -c "'$DOCKER' -H 'unix://$SOCK' exec '$b' sh -c 'echo | nc -w2 $ipa 7000' | grep -q hello-nc" ||
		{ echo "nc to $ipa:7000 failed" >&2; return 1; }
	# a container of another network cannot reach it
	sleeper "$c" --network "$other"
	run dk exec "$c" ping -c1 -W2 "$ipa"
	[ "$status" -ne 0 ] || { echo "$c on $other reached $ipa on $net" >&2; return 1; }
	# the network lists its containers; rm refuses while they run
	run dk network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$net"
	assert_contains "$output" "$a"
	assert_contains "$output" "$b"
	api DELETE "/networks/$net"
	assert_eq "$HTTP_STATUS" 409 "rm while in use"
}

@test "networks: --internal gives no way out (no default route)" {
	local net n
	net=$(nname)
	dk network create --internal --subnet 10.235.0.0/24 "$net" >/dev/null
	assert_eq "$(dk network inspect -f '{{.Internal}}' "$net")" true Internal
	n=$(cname)
	sleeper "$n" --network "$net"
	run dk exec "$n" ip route
	assert_not_contains "$output" "default" "route table of an internal network's container"
	assert_contains "$output" "10.235.0.0/24"
}

@test "ports: nginx with -p answers on 127.0.0.1; docker port and inspect show it; a port in use fails the start" {
	local n m p out
	ensure_image nginx
	n=$(cname web)
	p=$(free_port)
	dk run -d --name "$n" -p "127.0.0.1:$p:80" nginx >/dev/null
	wait_http "http://127.0.0.1:$p/"
	run dk port "$n"
	assert_eq "$output" "80/tcp -> 127.0.0.1:$p" "docker port"
	assert_eq "$(insp "$n" '{{json .NetworkSettings.Ports}}')" "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p\"}]}" Ports
	run dk ps --format '{{.Ports}}' --filter "name=$n"
	assert_eq "$output" "127.0.0.1:$p->80/tcp" "ps Ports"
	# the same host port again: a clear error, and the container does not run
	m=$(cname again)
	run dk run -d --name "$m" -p "127.0.0.1:$p:80" nginx
	[ "$status" -ne 0 ] || { echo "a second container got port $p" >&2; return 1; }
	assert_contains "$output" "port is already allocated"
	assert_eq "$(insp "$m" '{{.State.Running}}')" false "the second container's state"
	# stopping the first frees the port and removes its rule
	dk stop -t 1 "$n" >/dev/null
	assert_eq "$(http_code "http://127.0.0.1:$p/")" 000 "after stop"
	if ! is_peer; then
		assert_eq "$(dnat_rules "$p")" 0 "DNAT rules for $p after stop"
	fi
}

@test "ports: -P publishes every exposed port on a random host port that answers" {
	local n p
	ensure_image nginx
	n=$(cname)
	dk run -d --name "$n" -P nginx >/dev/null
	p=$(dk port "$n" 80/tcp | head -1 | sed 's/.*://')
	assert_match "$p" '^[0-9]+$' "the random port"
	wait_http "http://127.0.0.1:$p/"
}

@test "ports: after kill -9 of the daemon a published port still answers, with one rule for it" {
	berth_only "kills berth's daemon"
	local n p
	ensure_image nginx
	n=$(cname)
	p=$(free_port)
	dk run -d --name "$n" -p "$p:80" nginx >/dev/null
	wait_http "http://127.0.0.1:$p/"
	kill_daemon_hard
	assert_eq "$(http_code "http://127.0.0.1:$p/")" 200 "while the daemon is down"
	start_env_daemon
	assert_eq "$(http_code "http://127.0.0.1:$p/")" 200 "after the restart"
	assert_eq "$(dnat_rules "$p")" 1 "DNAT rules for $p after the restart"
	assert_eq "$(nft list table ip berth | grep -c 'chain ports')" 1 "one berth table"
	# still held: another container cannot take it
	run dk run -d --name "$(cname again)" -p "$p:80" nginx
	assert_contains "$output" "port is already allocated"
}

@test "networks: connect and disconnect a created container; prune removes unused networks" {
	local net n
	net=$(nname)
	dk network create --label "e2e.prune=$RUN_ID" "$net" >/dev/null
	n=$(cname)
	dk create --name "$n" busybox sleep 1000 >/dev/null
	run dk network connect --alias web-e2e "$net" "$n"
	assert_status 0
	dk start "$n" >/dev/null
	assert_match "$(insp "$n" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")" '^[0-9.]+$' "address on $net"
	dk stop -t 1 "$n" >/dev/null
	run dk network disconnect "$net" "$n"
	assert_status 0
	run dk network prune -f --filter "label=e2e.prune=$RUN_ID"
	assert_status 0
	assert_contains "$output" "$net"
	run dk network inspect "$net"
	[ "$status" -ne 0 ] || { echo "$net survived prune" >&2; return 1; }
}

@test "networks: Python SDK: networks create, connect, disconnect, remove; ports in containers.run" {
	require_docker_sdk
	local net n p
	ensure_image nginx
	net=$(nname sdk)
	n=$(cname sdk)
	p=$(free_port)
	run py_sdk "
net = c.networks.create('$net', driver='bridge', labels={'e2e': '$RUN_ID'})
assert net.name == '$net'
ctr = c.containers.create('busybox', 'sleep 1000', name='$n')
net.connect(ctr)
ctr.start(); ctr.reload()
assert '$net' in ctr.attrs['NetworkSettings']['Networks'], ctr.attrs['NetworkSettings']['Networks']
ctr.stop(timeout=1)
net.disconnect(ctr)
ctr.remove()
net.remove()
assert '$net' not in [x.name for x in c.networks.list()]
web = c.containers.run('nginx', detach=True, name='$n-web', ports={'80/tcp': ('127.0.0.1', $p)})
web.reload()
print(web.ports['80/tcp'][0]['HostPort'])
"
	track "$n-web"
	assert_status 0
	assert_eq "${lines[-1]}" "$p" "the published port seen by the SDK"
	wait_http "http://127.0.0.1:$p/"
}

@test "ports and networks: bad requests get 400 (or 404) at create, and nothing is created" {
	local n
	n=$(cname)
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","HostConfig":{"PortBindings":{"80/xyz":[{"HostPort":"1"}]}}}'
	assert_eq "$HTTP_STATUS" 400 "a bad port key"
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"300.1.1.1","HostPort":"1"}]}}}'
	assert_eq "$HTTP_STATUS" 400 "a bad host IP"
	api_json POST "/containers/create?name=$n" '{"Image":"busybox","HostConfig":{"NetworkMode":"nope-e2e-net"}}'
	assert_eq "$HTTP_STATUS" 404 "a missing network"
	assert_contains "$HTTP_BODY" "network nope-e2e-net not found"
	run dk inspect "$n"
	[ "$status" -ne 0 ] || { echo "$n was created" >&2; return 1; }
	api_json POST /networks/create '{"Name":"bad name!"}'
	assert_eq "$HTTP_STATUS" 400 "a bad network name"
	api_json POST /networks/create '{"Name":"e2e-x","Driver":"overlay"}'
	assert_eq "$HTTP_STATUS" 501 "a driver berth has not got"
	api_json POST /networks/create '{"Name":"e2e-x","IPAM":{"Config":[{"Subnet":"10.236.0.0/24","Gateway":"10.237.0.1"}]}}'
	assert_eq "$HTTP_STATUS" 400 "a gateway outside the subnet"
	api_json POST /networks/create '{"Name":"e2e-x","IPAM":{"Config":{"Subnet":"10.236.0.0/24"}}}'
	assert_eq "$HTTP_STATUS" 400 "IPAM.Config not a list"
	run dk network inspect e2e-x
	[ "$status" -ne 0 ] || { echo "e2e-x was created" >&2; return 1; }
}

@test "networks: connect and disconnect a running container, with a static --ip" {
	local net a b
	net=$(nname)
	dk network create --subnet 10.238.0.0/24 "$net" >/dev/null
	a=$(cname a)
	b=$(cname b)
	sleeper "$a"
	sleeper "$b" --network "$net"
	run dk network connect --ip 10.238.0.77 "$net" "$a"
	assert_status 0
	assert_eq "$(insp "$a" "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}")" 10.238.0.77 "address on $net"
	run dk exec "$a" ip -o -4 addr show eth1
	assert_contains "$output" "inet 10.238.0.77/24"
	run dk exec "$b" ping -c1 -W5 10.238.0.77
	assert_status 0
	run dk network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$net"
	assert_contains "$output" "$a"
	run dk network disconnect "$net" "$a"
	assert_status 0
	run dk exec "$a" ip -o -4 addr show
	assert_not_contains "$output" "10.238.0.77"
	run dk exec "$b" ping -c1 -W2 10.238.0.77
	[ "$status" -ne 0 ] || { echo "10.238.0.77 still answers after the disconnect" >&2; return 1; }
	run dk network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$net"
	assert_not_contains "$output" "$a"
}

@test "networks: --network container:X shares X's namespace, hostname and hosts file; X must run" {
	local x n
	x=$(cname x)
	n=$(cname joiner)
	dk run -d --name "$x" busybox sh -c 'while true; do nc -l -p 7000 -e echo hi-from-x; done' >/dev/null
	wait_state "$x" running
	run dk run --rm --name "$n" --network "container:$x" busybox sh -c \
		'ip -o -4 addr show eth0; cat /etc/hostname; echo | nc -w5 127.0.0.1 7000'
	assert_status 0
	assert_contains "$output" "inet $(insp "$x" '{{.NetworkSettings.IPAddress}}')/"
	assert_contains "$output" "$(insp "$x" '{{.Config.Hostname}}')"
	assert_contains "$output" "hi-from-x"
	run dk run --rm --network container:nope-e2e busybox true
	[ "$status" -ne 0 ] || { echo "joined a missing container" >&2; return 1; }
	assert_contains "$output" "No such container: nope-e2e"
	dk stop -t 1 "$x" >/dev/null
	run dk run --rm --network "container:$x" busybox true
	[ "$status" -ne 0 ] || { echo "joined a stopped container" >&2; return 1; }
	assert_contains "$output" "cannot join network of a non running container"
}

@test "ports: a port published on every address also answers on [::1], listed as [::] as docker lists it" {
	ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' || skip "this host has no IPv6 loopback"
	local n p
	ensure_image nginx
	n=$(cname)
	p=$(free_port)
	dk run -d --name "$n" -p "$p:80" nginx >/dev/null
	run dk port "$n" 80/tcp
	assert_contains "$output" "0.0.0.0:$p"
	assert_contains "$output" "[::]:$p"
	assert_eq "$(insp "$n" '{{json .NetworkSettings.Ports}}')" \
		"{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$p\"},{\"HostIp\":\"::\",\"HostPort\":\"$p\"}]}"
	wait_http "http://[::1]:$p/"
	# a port bound to one IPv4 address has no IPv6 side
	local n2 p2
	n2=$(cname v4)
	p2=$(free_port)
	dk run -d --name "$n2" -p "127.0.0.1:$p2:80" nginx >/dev/null
	assert_eq "$(insp "$n2" '{{json .NetworkSettings.Ports}}')" \
		"{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p2\"}]}"
	if is_peer; then return 0; fi
	kill_daemon_hard
	start_env_daemon
	assert_eq "$(http_code "http://[::1]:$p/")" 200 "[::1] after a restart"
	dk rm -f "$n" >/dev/null
	assert_eq "$(http_code "http://[::1]:$p/")" 000 "[::1] after rm"
}

@test "ports: ps --filter publish= and expose= find a running container by its ports" {
	local n p
	n=$(cname)
	p=$(free_port)
	dk run -d --name "$n" -p "$p:7070/udp" -p "127.0.0.1::7071" busybox sleep 100 >/dev/null
	assert_eq "$(dk ps -q --filter "publish=$p/udp" --filter "name=$n" | wc -l)" 1 "publish=$p/udp"
	assert_eq "$(dk ps -q --filter "publish=$p" --filter "name=$n" | wc -l)" 0 "publish=$p (tcp)"
	assert_eq "$(dk ps -q --filter "expose=7071" --filter "name=$n" | wc -l)" 1 "expose=7071"
	assert_eq "$(dk ps -q --filter "expose=7060-7075/tcp" --filter "name=$n" | wc -l)" 1 "expose range"
	assert_eq "$(dk ps -q --filter "expose=7072" --filter "name=$n" | wc -l)" 0 "expose=7072"
}

@test "ports: a restart leaves berth's table as it is, and makes it again when it was deleted meanwhile" {
	berth_only "restarts berth's daemon and deletes its nftables table"
	local n p
	ensure_image nginx
	n=$(cname)
	p=$(free_port)
	dk run -d --name "$n" -p "$p:80" nginx >/dev/null
	wait_http "http://127.0.0.1:$p/"
	stop_daemon
	start_env_daemon
	assert_eq "$(dnat_rules "$p")" 1 "DNAT rules for $p after a restart"
	assert_eq "$(http_code "http://127.0.0.1:$p/")" 200 "after a restart"
	stop_daemon
	nft delete table ip berth
	start_env_daemon
	assert_eq "$(dnat_rules "$p")" 1 "DNAT rules for $p after the table was deleted"
	assert_eq "$(http_code "http://127.0.0.1:$p/")" 200 "after the table was made again"
}

@test "ports: a UDP port published on every address answers on 127.0.0.1 and [::1], listed with [::]" {
	ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' || skip "this host has no IPv6 loopback"
	local n p
	ensure_image debian:bookworm-slim
	n=$(cname)
	p=$(free_port)
	# a UDP echo in perl (perl-base is in the slim image; busybox's nc has no -u)
	dk run -d --name "$n" -p "$p:9999/udp" debian:bookworm-slim perl -MIO::Socket::INET -e \
		'$|=1; my $s=IO::Socket::INET->new(LocalPort=>9999, Proto=>"udp") or die "$!";
		 print "ready\n"; while (1) { $s->recv(my $b, 65535); $s->send("echo:$b") }' >/dev/null
	wait_log "$n" ready
	assert_eq "$(insp "$n" '{{json .NetworkSettings.Ports}}')" \
		"{\"9999/udp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$p\"},{\"HostIp\":\"::\",\"HostPort\":\"$p\"}]}"
	run python3 -c '
import socket, sys
port = int(sys.argv[1])
for host, fam in (("::1", socket.AF_INET6), ("127.0.0.1", socket.AF_INET)):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b"hi " + host.encode(), (host, port))
    print(s.recvfrom(100)[0].decode())' "$p"
	assert_status 0
	assert_contains "$output" "echo:hi ::1"
	assert_contains "$output" "echo:hi 127.0.0.1"
}
