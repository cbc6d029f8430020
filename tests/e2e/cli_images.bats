#!/usr/bin/env bats
# Our CLI's image commands against a daemon that mirrors docker.io from the
# fixture registry on 127.0.0.1:5000: pull, images, inspect, history, tag,
# rmi, save | load, image prune, push, and the X-Registry-Auth header. Where
# the data allows, berth's output must be docker's, byte for byte, on the
# same daemon.

load helpers

REGISTRY=127.0.0.1:5000

setup_file() {
	e2e_setup_file
	if curl -sf --max-time 5 "http://$REGISTRY/v2/" >/dev/null; then
		start_daemon --registry-mirror "http://$REGISTRY"
	else
		start_daemon
	fi
}

teardown_file() {
	e2e_teardown_file
}

setup() {
	curl -sf --max-time 5 "http://$REGISTRY/v2/" >/dev/null ||
		skip "fixture registry not running on $REGISTRY (../shared/fixtures/make-images)"
}

teardown() {
	e2e_teardown
}

# same_as_docker ARGS...: berth and docker print the same stdout and stderr
# (docker's name replaced by ours) and exit alike.
same_as_docker() {
	local d=$E2E_TMP/cmp.$RANDOM
	mkdir -p "$d"
	dk "$@" >"$d/d.out" 2>"$d/d.err" </dev/null && echo 0 >"$d/d.rc" || echo $? >"$d/d.rc"
	bt "$@" >"$d/b.out" 2>"$d/b.err" </dev/null && echo 0 >"$d/b.rc" || echo $? >"$d/b.rc"
	sed -i 's/docker/berth/g; s/Docker/berth/g' "$d"/*.out "$d"/*.err
	local f rc=0
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

@test "cli images: pull prints docker's plain progress lines and the name" {
	run timeout 120 "$BERTH" -H "unix://$SOCK" pull busybox
	assert_status 0
	assert_eq "${lines[0]}" "Using default tag: latest"
	assert_eq "${lines[1]}" "latest: Pulling from library/busybox"
	assert_contains "$output" "Digest: sha256:"
	assert_contains "$output" "Status: Downloaded newer image for busybox:latest"
	assert_not_contains "$output" "Downloading"
	assert_eq "${lines[-1]}" "docker.io/library/busybox:latest"
	# the second time both say it is up to date, in the same words
	same_as_docker pull busybox
	same_as_docker pull busybox:latest
}

@test "cli images: pull -q prints only the reference" {
	run timeout 60 "$BERTH" -H "unix://$SOCK" pull -q busybox
	assert_status 0
	assert_eq "$output" "docker.io/library/busybox:latest"
	same_as_docker pull -q busybox
}

@test "cli images: pull errors as docker prints them" {
	# HTTP error before the stream, bad names, argument count
	same_as_docker pull "$REGISTRY/berth-e2e-missing/x:1"
	same_as_docker pull Bad/Name
	same_as_docker pull
	same_as_docker pull -a busybox:latest
}

@test "cli images: an error inside the pull stream goes to stderr, status 1" {
	local port log
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	log=$E2E_TMP/badreg.log
	# a registry whose layer blob is not what the manifest says
	python3 - "$port" >"$log" 2>&1 3>&- <<-'EOF' &
	import http.server, sys, json, hashlib, gzip, io, tarfile
	def sha(b): return "sha256:" + hashlib.sha256(b).hexdigest()
	buf = io.BytesIO()
	with tarfile.open(fileobj=buf, mode="w") as t:
	    ti = tarfile.TarInfo("f"); ti.size = 1; t.addfile(ti, io.BytesIO(b"x"))
	layer = gzip.compress(buf.getvalue())
	config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
	    "rootfs": {"type": "layers", "diff_ids": [sha(buf.getvalue())]}}).encode()
	manifest = json.dumps({"schemaVersion": 2,
	    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
	    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
	               "size": len(config), "digest": sha(config)},
	    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
	                "size": len(layer), "digest": sha(layer)}]}).encode()
	class H(http.server.BaseHTTPRequestHandler):
	    def send(self, body, ct="application/octet-stream", code=200):
	        self.send_response(code); self.send_header("Content-Type", ct)
	        self.send_header("Content-Length", str(len(body)))
	        if "/manifests/" in self.path: self.send_header("Docker-Content-Digest", sha(manifest))
	        self.end_headers()
	        if self.command != "HEAD": self.wfile.write(body)
	    def do_GET(self):
	        if self.path == "/v2/": return self.send(b"{}", "application/json")
	        if "/manifests/" in self.path:
	            return self.send(manifest, "application/vnd.docker.distribution.manifest.v2+json")
	        if self.path.endswith(sha(config)): return self.send(config)
	        if self.path.endswith(sha(layer)): return self.send(b"y" * len(layer))
	        return self.send(b"{}", "application/json", 404)
	    do_HEAD = do_GET
	    def log_message(self, *a): pass
	http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	EOF
	local srv=$!
	wait_for 10 curl -sf "http://127.0.0.1:$port/v2/" -o /dev/null
	run timeout 60 "$BERTH" -H "unix://$SOCK" pull "127.0.0.1:$port/bad/img:1"
	local berth_status=$status berth_output=$output
	same_as_docker pull "127.0.0.1:$port/bad/img:1" || { kill "$srv"; false; }
	kill "$srv"
	assert_eq "$berth_status" 1 "exit status"
	assert_contains "$berth_output" "1: Pulling from bad/img"
}

@test "cli images: images and its formats are docker's" {
	bt pull -q redis:7 >/dev/null
	same_as_docker images
	same_as_docker images -a
	same_as_docker images --digests
	same_as_docker images --no-trunc
	same_as_docker images -q
	same_as_docker images --format json
	same_as_docker images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}} {{.CreatedAt}}'
	same_as_docker images --format 'table {{.ID}}\t{{.Repository}}'
	same_as_docker images --format '{{.Nope}}'
	same_as_docker images busybox
	same_as_docker images -f dangling=true
	same_as_docker images -f bogus=1
	same_as_docker images -f nofilter
	same_as_docker images ls
	same_as_docker images a b
	run timeout 30 "$BERTH" -H "unix://$SOCK" images
	assert_status 0
	assert_match "${lines[0]}" "^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$"
	assert_match "$output" "busybox +latest +[0-9a-f]{12} +[0-9]+ [a-z]+ ago +[0-9.]+[kMG]?B"
}

@test "cli images: inspect --format '{{.Id}}' and the JSON are docker's" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" image inspect --format '{{.Id}}' busybox
	assert_status 0
	assert_eq "$output" "$(dk image inspect --format '{{.Id}}' busybox)"
	assert_match "$output" "^sha256:[0-9a-f]{64}$"
	same_as_docker image inspect busybox
	same_as_docker image inspect busybox redis:7
	same_as_docker image inspect -f json busybox
	same_as_docker image inspect -f '{{.Os}}/{{.Architecture}} {{.RepoTags}} {{json .RootFS}}' busybox
	same_as_docker image inspect -f '{{.Config.User}}|{{.Config.Labels.x}}|{{.GraphDriver.Data.x}}' busybox
	same_as_docker image inspect -f '{{.Nope}}' busybox
	same_as_docker image inspect -f '{{' busybox
	same_as_docker image inspect nope busybox nope2
	# plain inspect finds images too
	run timeout 30 "$BERTH" -H "unix://$SOCK" inspect --format '{{.Id}}' busybox
	assert_status 0
	assert_eq "$output" "$(dk image inspect --format '{{.Id}}' busybox)"
	run timeout 30 "$BERTH" -H "unix://$SOCK" inspect nope-berth-e2e
	assert_status 1
	assert_contains "$output" "Error: No such object: nope-berth-e2e"
}

@test "cli images: history is docker's" {
	same_as_docker history busybox
	same_as_docker history redis:7
	same_as_docker history --no-trunc redis:7
	same_as_docker history -H=false redis:7
	same_as_docker history -q redis:7
	same_as_docker history --format json redis:7
	same_as_docker image history --format '{{.ID}} {{.CreatedBy}}' redis:7
	same_as_docker history nope
}

@test "cli images: tag, and its errors" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" tag busybox cliimg/bb:1
	assert_status 0
	assert_eq "$output" ""
	assert_eq "$(bt image inspect -f '{{.Id}}' cliimg/bb:1)" "$(bt image inspect -f '{{.Id}}' busybox)"
	same_as_docker tag busybox Bad/Name
	same_as_docker tag nope x
	same_as_docker tag busybox "x@sha256:$(printf '%064d' 0)"
	same_as_docker tag busybox
}

@test "cli images: rmi untags and deletes, errors at the end" {
	bt tag busybox cliimg/rm:1
	bt tag busybox cliimg/rm:2
	run timeout 30 "$BERTH" -H "unix://$SOCK" rmi cliimg/rm:1 nope-berth-e2e cliimg/rm:2
	assert_status 1
	assert_eq "${lines[0]}" "Untagged: cliimg/rm:1"
	assert_eq "${lines[1]}" "Untagged: cliimg/rm:2"
	assert_contains "$output" "Error response from daemon: No such image: nope-berth-e2e"
	# -f forgives what does not exist, as docker's
	same_as_docker rmi -f nope-berth-e2e
	same_as_docker rmi nope-berth-e2e
	same_as_docker rmi
}

@test "cli images: save | load round trip keeps the image ID" {
	local id tar=$E2E_TMP/bb.tar
	id=$(bt image inspect -f '{{.Id}}' busybox)
	bt save busybox >"$tar"
	tar -tf "$tar" | grep -q manifest.json
	bt save -o "$tar.o" busybox
	cmp "$tar" "$tar.o"
	[ "$(stat -c %a "$tar.o")" = 600 ]
	dk save busybox | cmp - "$tar"
	bt rmi busybox >/dev/null
	run timeout 60 "$BERTH" -H "unix://$SOCK" load -i "$tar"
	assert_status 0
	assert_eq "$output" "Loaded image: busybox:latest"
	assert_eq "$(bt image inspect -f '{{.Id}}' busybox)" "$id"
	run timeout 60 "$BERTH" -H "unix://$SOCK" load <"$tar"
	assert_status 0
	assert_eq "$output" "Loaded image: busybox:latest"
	same_as_docker save nope-berth-e2e
	same_as_docker save -o /nonexistent-berth/x.tar busybox
	same_as_docker load -i /nonexistent-berth.tar
}

@test "cli images: save refuses a terminal, load an empty stdin" {
	require_tool script
	run script -qec "$BERTH -H unix://$SOCK save busybox" /dev/null
	assert_status 1
	assert_contains "$output" "cowardly refusing to save to a terminal. Use the -o flag or redirect"
	run script -qec "$BERTH -H unix://$SOCK load" /dev/null
	assert_status 1
	assert_contains "$output" "requested load from stdin, but stdin is empty"
}

@test "cli images: image prune as docker's, with and without the prompt" {
	same_as_docker image prune -f
	same_as_docker image prune -f --filter until=1h
	same_as_docker image prune -f --filter bogus=1
	run timeout 30 bash -c "echo n | '$BERTH' -H 'unix://$SOCK' image prune"
	assert_status 0
	assert_eq "$output" "WARNING! This will remove all dangling images.
Are you sure you want to continue? [y/N] "
	run timeout 30 bash -c "echo y | '$BERTH' -H 'unix://$SOCK' image prune"
	assert_status 0
	assert_contains "$output" "Total reclaimed space: 0B"
}

@test "cli images: push to the registry and pull it back by digest" {
	local repo=$REGISTRY/berth-e2e-$RANDOM$RANDOM/bb digest
	bt tag busybox "$repo:1"
	run timeout 120 "$BERTH" -H "unix://$SOCK" push "$repo:1"
	assert_status 0
	assert_eq "${lines[0]}" "The push refers to repository [$repo]"
	assert_match "${lines[-1]}" "^1: digest: sha256:[0-9a-f]{64} size: [0-9]+$"
	digest=$(sed -E 's/.*digest: (sha256:[0-9a-f]+).*/\1/' <<<"${lines[-1]}")
	run timeout 60 "$BERTH" -H "unix://$SOCK" push -q "$repo:1"
	assert_status 0
	assert_eq "$output" "$repo:1"
	bt rmi "$repo:1" >/dev/null
	run timeout 120 "$BERTH" -H "unix://$SOCK" pull "$repo@$digest"
	assert_status 0
	assert_eq "${lines[-1]}" "$repo@$digest"
	run timeout 120 "$BERTH" -H "unix://$SOCK" pull "$repo:1"
	assert_status 0
	assert_contains "$output" "Digest: $digest"
	same_as_docker push "$repo"
}

@test "cli images: X-Registry-Auth comes from DOCKER_CONFIG, as docker sends it" {
	local port log srv
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	log=$E2E_TMP/auth.log
	# a stub daemon that records the header of every POST
	python3 - "$port" "$log" >/dev/null 2>&1 3>&- <<-'EOF' &
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    protocol_version = "HTTP/1.1"
	    def reply(self, body, ct):
	        self.send_response(200); self.send_header("Content-Type", ct)
	        self.send_header("Api-Version", "1.47"); self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        if self.command != "HEAD": self.wfile.write(body)
	    def do_HEAD(self): self.reply(b"OK", "text/plain")
	    do_GET = do_HEAD
	    def do_POST(self):
	        with open(sys.argv[2], "a") as f:
	            f.write("%s %s\n" % (self.path.split("?")[0], self.headers.get("X-Registry-Auth")))
	        self.reply(b'{"status":"ok"}\n', "application/json")
	    def log_message(self, *a): pass
	http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	EOF
	srv=$!
	wait_for 10 curl -sf "http://127.0.0.1:$port/_ping" -o /dev/null
	mkdir -p "$E2E_TMP/dcfg"
	cat >"$E2E_TMP/dcfg/config.json" <<-'EOF'
	{"auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"},
	           "https://index.docker.io/v1/": {"identitytoken": "tok<&>"}}}
	EOF
	local c
	for c in "$BERTH" "$DOCKER"; do
		DOCKER_CONFIG=$E2E_TMP/dcfg timeout 30 "$c" -H "tcp://127.0.0.1:$port" pull -q "$REGISTRY/a/b:1" >/dev/null
		DOCKER_CONFIG=$E2E_TMP/dcfg timeout 30 "$c" -H "tcp://127.0.0.1:$port" pull -q busybox >/dev/null
		DOCKER_CONFIG=$E2E_TMP/none timeout 30 "$c" -H "tcp://127.0.0.1:$port" push -q "$REGISTRY/a/b:1" >/dev/null
	done
	kill "$srv"
	mapfile -t got <"$log"
	assert_eq "${#got[@]}" 6 "recorded requests"
	assert_eq "${got[0]}" "${got[3]}" "pull from $REGISTRY"
	assert_eq "${got[1]}" "${got[4]}" "pull from Docker Hub"
	assert_eq "${got[2]}" "${got[5]}" "push without credentials"
	# user:pass for the local registry, the identity token for Docker Hub, {} else
	assert_eq "$(cut -d' ' -f2 <<<"${got[0]}" | tr '_-' '/+' | base64 -d)" \
		'{"username":"user","password":"pass","serveraddress":"127.0.0.1:5000"}'
	assert_eq "$(cut -d' ' -f2 <<<"${got[1]}" | tr '_-' '/+' | base64 -d)" \
		'{"serveraddress":"https://index.docker.io/v1/","identitytoken":"tok\u003c\u0026\u003e"}'
	assert_eq "${got[2]}" "/v1.47/images/127.0.0.1:5000/a/b/push e30="
}

@test "cli images: the image group and its aliases" {
	run timeout 30 "$BERTH" image --help
	assert_status 0
	local sub
	for sub in history inspect load ls prune pull push rm save tag; do
		assert_match "$output" "
  $sub +[A-Z]"
	done
	same_as_docker image nope
	same_as_docker image ls --help
	same_as_docker image list -q
	same_as_docker image remove
	same_as_docker images --help
	same_as_docker pull --help
}
