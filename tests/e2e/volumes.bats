#!/usr/bin/env bats
# Volumes and bind mounts through the real docker CLI, the API and the
# Python SDK (issue 5): local named volumes (create, ls filters, inspect,
# rm, prune, the tmpfs and bind drivers' options), container mounts (-v
# name:/path, -v /host:/path[:ro], --mount bind|volume|tmpfs, --tmpfs,
# --volumes-from), a new volume filled from the image, anonymous volumes
# and their removal (rm -v, --rm), 409 for a volume in use, inspect's
# Mounts and ps -f volume=, and the store after a daemon crash.
#
# Volumes are named with vname and removed in teardown, after the
# containers (cname). No published ports; no traffic at all.

bats_require_minimum_version 1.5.0

load helpers
load images_helpers
load containers_helpers

setup_file() { ctr_setup_file; }
teardown_file() { ctr_teardown_file; }
setup() { ctr_setup; }
teardown() {
	local v vols=() rc=0
	[ ! -f "${T:-}/volumes" ] || mapfile -t vols <"$T/volumes"
	ctr_teardown || rc=1
	for v in "${vols[@]}"; do
		dk volume rm -f "$v" >/dev/null 2>&1 || true
	done
	# the anonymous volumes this test's containers left
	is_peer || dk volume prune -f >/dev/null 2>&1 || true
	return $rc
}

# vname [TAG]: a volume name unique to this test, removed in teardown.
vname() {
	local n=$CT_PREFIX-${1:-vol}
	echo "$n" >>"$T/volumes"
	echo "$n"
}

# anon_count: how many anonymous volumes the engine has.
anon_count() { dk volume ls -q -f label=com.docker.volume.anonymous | wc -l; }

@test "volumes: create, inspect, ls with filters, rm; a name in use returns the volume" {
	local v w
	v=$(vname a)
	w=$(vname b)
	run dk volume create --label "e2e.vol=$RUN_ID" "$v"
	assert_status 0
	assert_eq "$output" "$v" "create prints the name"
	assert_eq "$(dk volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{index .Labels "e2e.vol"}}' "$v")" \
		"$v local local $RUN_ID" "inspect"
	berth_only "its data root" && assert_eq "$(dk volume inspect -f '{{.Mountpoint}}' "$v")" \
		"$DATA/volumes/$v/_data" Mountpoint
	assert_match "$(dk volume inspect -f '{{.CreatedAt}}' "$v")" \
		'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(Z|[+-][0-9]{2}:[0-9]{2})$' CreatedAt
	dk volume create "$w" >/dev/null
	run dk volume ls -q -f "label=e2e.vol=$RUN_ID"
	assert_eq "$output" "$v" "label filter"
	run dk volume ls -q -f "name=$CT_PREFIX-"
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "$v $w " "name filter"
	run dk volume ls -q -f dangling=true -f "name=$CT_PREFIX-"
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "$v $w " "dangling filter"
	# docker returns the volume that has the name (201), labels unchanged
	api POST /volumes/create -H 'Content-Type: application/json' -d "{\"Name\":\"$v\"}"
	assert_eq "$HTTP_STATUS" 201 "create of a name in use"
	assert_eq "$(json_get '.Labels["e2e.vol"]')" "$RUN_ID" "the existing volume"
	run dk volume rm "$v" "$w"
	assert_status 0
	assert_eq "${lines[*]}" "$v $w" "rm prints the names"
	api GET "/volumes/$v"
	assert_eq "$HTTP_STATUS" 404 "inspect after rm"
	assert_eq "$(json_get .message)" "get $v: no such volume"
	run dk volume rm "$v"
	assert_failure
	assert_contains "$output" "no such volume"
	run dk volume rm -f "$v"
	assert_status 0
}

@test "volumes: bad names, drivers and options get docker's errors and make nothing" {
	berth_only "berth's texts for what it cannot mount"
	local before
	before=$(dk volume ls -q | wc -l)
	api POST /volumes/create -H 'Content-Type: application/json' -d '{"Name":"bad/name"}'
	assert_eq "$HTTP_STATUS" 400 "bad name"
	assert_contains "$(json_get .message)" 'includes invalid characters for a local volume name'
	api POST /volumes/create -H 'Content-Type: application/json' -d '{"Name":"x"}'
	assert_eq "$HTTP_STATUS" 400 "a one-character name"
	run dk volume create -d nosuchdriver "$CT_PREFIX-d"
	assert_failure
	assert_contains "$output" 'error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found'
	run dk volume create -o foo=bar "$CT_PREFIX-o"
	assert_failure
	assert_contains "$output" 'invalid option: "foo"'
	run dk volume create -o type=tmpfs "$CT_PREFIX-o"
	assert_contains "$output" 'missing required option: "device"'
	api POST /volumes/create -H 'Content-Type: application/json' \
		-d "{\"Name\":\"$CT_PREFIX-n\",\"DriverOpts\":{\"type\":\"nfs\",\"device\":\":/x\"}}"
	assert_eq "$HTTP_STATUS" 501 "a type berth cannot mount"
	api POST /volumes/create -H 'Content-Type: application/json' -d '{"Name":7}'
	assert_eq "$HTTP_STATUS" 400 "a Name of the wrong type"
	api POST /volumes/create -H 'Content-Type: application/json' -d '[1'
	assert_eq "$HTTP_STATUS" 400 "bad JSON"
	api POST /volumes/create -H 'Content-Type: application/json' \
		-d "{\"Name\":\"$CT_PREFIX-s\",\"DriverOpts\":\"type=tmpfs\"}"
	assert_eq "$HTTP_STATUS" 400 "DriverOpts not an object"
	run dk create --mount "type=volume,dst=/t" --tmpfs /t busybox true
	assert_failure
	assert_contains "$output" "Duplicate mount point: /t"
	assert_eq "$(dk volume ls -q | wc -l)" "$before" "volumes made"
	[ -z "$(ls "$DATA/volumes" | grep -F "$CT_PREFIX" || true)" ]
}

@test "volumes: -v name:/data keeps the data across containers; 409 while a container uses it" {
	local v n id
	v=$(vname data)
	n=$(cname)
	run dk run --name "$n" -v "$v:/data" busybox sh -c 'echo kept >/data/f'
	assert_status 0
	assert_eq "$(dk volume inspect -f '{{.Driver}}' "$v")" local "made by run"
	id=$(insp "$n" '{{.Id}}')
	api DELETE "/volumes/$v"
	assert_eq "$HTTP_STATUS" 409 "rm of a volume in use (stopped container)"
	assert_eq "$(json_get .message)" "remove $v: volume is in use - [$id]"
	run dk volume rm "$v"
	assert_failure
	assert_contains "$output" "volume is in use"
	assert_eq "$(insp "$n" '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.Driver}} {{.Mode}} {{.RW}}{{end}}')" \
		"volume $v /data local z true" "inspect Mounts"
	assert_eq "$(dk ps -a -q --no-trunc -f "volume=$v")" "$id" "ps -f volume="
	assert_eq "$(dk ps -a --no-trunc --format '{{.Mounts}}' -f "name=$n")" "$v" "ps {{.Mounts}}"
	run dk volume ls -q -f dangling=false -f "name=$v"
	assert_eq "$output" "$v" "not dangling"
	dk rm "$n" >/dev/null
	run dk run --rm -v "$v:/other" busybox cat /other/f
	assert_status 0
	assert_eq "$output" kept "data in a new container"
	dk volume rm "$v" >/dev/null
}

@test "volumes: a new named volume gets the image's content; nocopy and a used volume do not" {
	local v w
	v=$(vname html)
	w=$(vname nocopy)
	ensure_image nginx
	run dk run --rm -v "$v:/usr/share/nginx/html" nginx cat /usr/share/nginx/html/index.html
	assert_status 0
	assert_contains "$output" "nginx"
	run dk run --rm -v "$v:/x" busybox ls -ln /x
	assert_contains "$output" index.html
	# busybox's /etc, with its owners and modes
	# (as docker: only the mount points of hostname, hosts and resolv.conf)
	run dk run --rm -v "$w:/etc:nocopy" busybox ls /etc
	assert_status 0
	assert_eq "$(echo $output)" "hostname hosts resolv.conf" "nocopy: no image content"
	# a volume with content is not filled again
	dk run --rm -v "$w:/d" busybox sh -c 'echo mine >/d/only' >/dev/null
	run dk run --rm -v "$w:/etc" busybox ls /etc
	assert_eq "$(echo $output)" "hostname hosts only resolv.conf" "a volume in use keeps its content"
	run dk run --rm --mount "type=volume,src=$CT_PREFIX-m,dst=/etc" busybox stat -c '%a %u:%g' /etc/passwd /etc
	echo "$CT_PREFIX-m" >>"$T/volumes"
	assert_status 0
	assert_eq "${lines[0]}" "$(dk run --rm busybox stat -c '%a %u:%g' /etc/passwd)" "a file's mode and owner"
	assert_eq "${lines[1]}" "$(dk run --rm busybox stat -c '%a %u:%g' /etc)" "the volume root's mode and owner"
}

@test "volumes: -v /host:/ctr binds, :ro refuses writes, a missing host path is made; --mount type=bind of a missing path is refused" {
	local n before
	mkdir -p "$T/host"
	echo from-host >"$T/host/f"
	run dk run --rm -v "$T/host:/h" busybox sh -c 'cat /h/f; echo from-ctr >/h/g'
	assert_status 0
	assert_eq "$output" from-host
	assert_eq "$(cat "$T/host/g")" from-ctr "written through the bind"
	run dk run --rm -v "$T/host:/h:ro" busybox sh -c 'echo x >/h/z'
	assert_failure
	assert_contains "$output" "Read-only file system"
	[ ! -e "$T/host/z" ]
	run dk run --rm --mount "type=bind,src=$T/host,dst=/h,readonly" busybox touch /h/z
	assert_failure
	# -v makes a missing source, --mount refuses it (400, no container)
	run dk run --rm -v "$T/made/here:/m" busybox true
	assert_status 0
	[ -d "$T/made/here" ] || { echo "-v did not make the host path" >&2; return 1; }
	n=$(cname missing)
	before=$(dk ps -aq | wc -l)
	run dk run --name "$n" --mount "type=bind,src=$T/nope,dst=/x" busybox true
	assert_failure
	assert_contains "$output" "invalid mount config for type \"bind\": bind source path does not exist: $T/nope"
	assert_eq "$(dk ps -aq | wc -l)" "$before" "containers after a refused create"
	[ ! -e "$T/nope" ]
	api POST /containers/create -H 'Content-Type: application/json' \
		-d "{\"Image\":\"busybox\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"$T/nope\",\"Target\":\"/x\"}]}}"
	assert_eq "$HTTP_STATUS" 400 "create with a missing bind source"
	api POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","HostConfig":{"Binds":["/a:/x","/b:/x"]}}'
	assert_eq "$HTTP_STATUS" 400 "a destination twice"
	assert_eq "$(json_get .message)" "Duplicate mount point: /x"
	api POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","HostConfig":{"Binds":["/a:/x:bogus"]}}'
	assert_eq "$HTTP_STATUS" 400 "a bad mode"
	assert_eq "$(json_get .message)" "invalid mode: bogus"
	api POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"volume","Target":"/"}]}}'
	assert_eq "$HTTP_STATUS" 400 "a mount on /"
	assert_contains "$(json_get .message)" "destination can't be '/'"
	assert_eq "$(dk ps -aq | wc -l)" "$before" "containers after the refused creates"
}

@test "volumes: --mount type=tmpfs, --tmpfs and a tmpfs volume are tmpfs with their size" {
	local v
	v=$(vname tmp)
	run dk run --rm --mount type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770 busybox sh -c \
		'grep " /t " /proc/mounts; stat -c %a /t'
	assert_status 0
	assert_match "${lines[0]}" '^tmpfs /t tmpfs rw,nosuid,nodev,noexec,.*size=2048k' "--mount tmpfs"
	assert_eq "${lines[1]}" 1770 mode
	run dk run --rm --tmpfs /run/x:size=1m busybox grep " /run/x " /proc/mounts
	assert_match "$output" 'size=1024k' "--tmpfs"
	dk volume create -o type=tmpfs -o device=tmpfs -o o=size=3m "$v" >/dev/null
	run dk run --rm -v "$v:/v" busybox sh -c 'grep " /v " /proc/mounts; echo x >/v/y'
	assert_status 0
	assert_match "$output" '^tmpfs /v tmpfs .*size=3072k' "a tmpfs volume"
	assert_eq "$(dk volume inspect -f '{{.Options.type}} {{.Options.o}}' "$v")" "tmpfs size=3m" Options
	dk volume rm "$v" >/dev/null
	berth_only "its data root" && ! grep -q "$DATA/volumes/$v" /proc/self/mountinfo
}

@test "volumes: a bind volume (type=none,o=bind) shows the host directory" {
	local v
	v=$(vname bindvol)
	mkdir -p "$T/dev"
	echo device >"$T/dev/f"
	dk volume create -o type=none -o o=bind -o "device=$T/dev" "$v" >/dev/null
	run dk run --rm -v "$v:/v" busybox cat /v/f
	assert_status 0
	assert_eq "$output" device
	dk volume rm "$v" >/dev/null
	# removing the volume keeps the host's files
	assert_eq "$(cat "$T/dev/f")" device "the host directory after rm"
	# o=bind,ro: read-only (a bind takes ro only with a remount)
	local w
	w=$(vname bindro)
	dk volume create -o type=none -o o=bind,ro -o "device=$T/dev" "$w" >/dev/null
	run dk run --rm -v "$w:/v" busybox sh -c 'cat /v/f; touch /v/new'
	assert_failure
	assert_contains "$output" "device"
	assert_contains "$output" "Read-only file system"
	[ ! -e "$T/dev/new" ] || { echo "a write went through the ro bind volume" >&2; return 1; }
	if ! is_peer; then
		# volumes/ is root's alone: image content there may be setuid
		assert_eq "$(stat -c %a "$DATA/volumes")" 700 "volumes/ mode"
	fi
}

@test "volumes: --volumes-from shares the mounts, :ro makes them read-only" {
	local src v
	v=$(vname shared)
	src=$(cname src)
	mkdir -p "$T/b"
	dk create --name "$src" -v "$v:/data" -v /anon -v "$T/b:/b" busybox true >/dev/null
	run dk run --rm --volumes-from "$src" busybox sh -c 'echo hi >/data/f && echo hi >/anon/f && echo hi >/b/f && echo ok'
	assert_status 0
	assert_eq "$output" ok
	run dk run --rm --volumes-from "$src:ro" busybox sh -c 'cat /data/f /anon/f /b/f; touch /data/g'
	assert_failure
	assert_eq "${lines[*]:0:3}" "hi hi hi" "content through --volumes-from"
	assert_contains "$output" "Read-only file system"
	run dk run --rm --volumes-from nosuch-e2e busybox true
	assert_failure
	assert_contains "$output" "No such container: nosuch-e2e"
}

@test "volumes: rm -v removes the anonymous volumes only; --rm removes them; prune takes anonymous ones unless -a" {
	local n v anon before
	v=$(vname named)
	n=$(cname)
	before=$(anon_count)
	dk create --name "$n" -v "$v:/n" -v /anon --mount type=volume,dst=/anon2 busybox true >/dev/null
	assert_eq "$(anon_count)" $((before + 2)) "anonymous volumes made"
	anon=$(insp "$n" '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}')
	assert_match "$anon" '^[0-9a-f]{64}$' "an anonymous volume's name"
	assert_eq "$(dk volume inspect -f '{{json .Labels}}' "$anon")" '{"com.docker.volume.anonymous":""}' "its label"
	dk rm -v "$n" >/dev/null
	assert_eq "$(anon_count)" "$before" "anonymous volumes after rm -v"
	dk volume inspect "$v" >/dev/null
	# --rm
	dk run --rm -v /gone busybox true
	assert_eq "$(anon_count)" "$before" "anonymous volumes after run --rm"
	# an image's VOLUME gets one too (redis declares /data)
	ensure_image redis
	n=$(cname img)
	dk create --name "$n" redis >/dev/null
	assert_eq "$(insp "$n" '{{range .Mounts}}{{.Destination}} {{.Type}}{{end}}')" "/data volume" "the image's VOLUME"
	dk rm "$n" >/dev/null
	assert_eq "$(anon_count)" $((before + 1)) "rm without -v keeps it"
	berth_only "prune of every unused volume"
	run dk volume prune -f
	assert_status 0
	assert_contains "$output" "Total reclaimed space"
	assert_eq "$(anon_count)" 0 "anonymous volumes after prune"
	dk volume inspect "$v" >/dev/null
	run dk volume prune -af --filter "label!=nothing"
	assert_contains "$output" "$v"
	run dk volume inspect "$v"
	assert_failure
}

@test "volumes: system df lists volumes with their size and links" {
	local v n
	v=$(vname df)
	n=$(cname)
	dk run --name "$n" -v "$v:/d" busybox sh -c 'head -c 5000 /dev/zero >/d/z'
	api GET /system/df
	assert_eq "$HTTP_STATUS" 200
	assert_eq "$(json_get ".Volumes[] | select(.Name == \"$v\") | .UsageData | \"\(.Size) \(.RefCount)\"")" "5000 1" UsageData
	run dk system df -v
	assert_contains "$output" "$v"
}

@test "volumes: the Python SDK creates, lists, gets, mounts and removes volumes" {
	require_docker_sdk
	local v n
	v=$(vname sdk)
	n=$(cname sdk)
	run py_sdk "
v = c.volumes.create(name='$v', labels={'e2e.sdk': '$RUN_ID'})
print(v.name)
print([x.name for x in c.volumes.list(filters={'label': 'e2e.sdk=$RUN_ID'})])
print(c.volumes.get('$v').attrs['Labels']['e2e.sdk'])
out = c.containers.run('busybox', ['sh', '-c', 'echo sdk >/d/f; cat /d/f'], name='$n',
                       volumes={'$v': {'bind': '/d', 'mode': 'rw'}})
print(repr(out))
ct = c.containers.get('$n')
print(ct.attrs['Mounts'][0]['Name'])
try:
    v.remove()
except docker.errors.APIError as e:
    print(e.response.status_code)
ct.remove()
v.remove()
try:
    c.volumes.get('$v')
except docker.errors.NotFound:
    print('gone')
"
	assert_status 0
	assert_eq "${lines[0]}" "$v" create
	assert_eq "${lines[1]}" "['$v']" list
	assert_eq "${lines[2]}" "$RUN_ID" get
	assert_eq "${lines[3]}" "b'sdk\\n'" "run with volumes="
	assert_eq "${lines[4]}" "$v" "Mounts"
	assert_eq "${lines[5]}" 409 "remove while used"
	assert_eq "${lines[6]}" gone "after remove"
}

@test "volumes: after a crash, a directory without a record goes and a record without a directory gets one" {
	berth_only "kills and restarts its daemon"
	local v
	v=$(vname crash)
	dk volume create "$v" >/dev/null
	kill_daemon_hard
	mkdir -p "$DATA/volumes/$CT_PREFIX-stray/_data"
	rm -rf "$DATA/volumes/$v"
	start_env_daemon >/dev/null
	[ ! -e "$DATA/volumes/$CT_PREFIX-stray" ] || { echo "the stray directory stayed" >&2; return 1; }
	[ -d "$DATA/volumes/$v/_data" ] || { echo "the volume's directory was not made again" >&2; return 1; }
	run dk volume ls -q -f "name=$CT_PREFIX-"
	assert_eq "$output" "$v" "volumes after the restart"
}

@test "volumes: the berth CLI: volume create/ls/inspect/rm/prune, run -v and --mount, rm -v" {
	berth_only "berth's own CLI"
	local v n before
	v=$(vname cli)
	n=$(cname cli)
	run bt volume create --label "e2e.cli=$RUN_ID" -o type=tmpfs -o device=tmpfs -o o=size=1m "$v"
	assert_status 0
	assert_eq "$output" "$v"
	run bt volume ls -q -f "label=e2e.cli=$RUN_ID"
	assert_eq "$output" "$v" "ls -q -f label="
	run bt volume ls --format '{{.Driver}} {{.Name}} {{.Labels}}' -f "name=$v"
	assert_eq "$output" "local $v e2e.cli=$RUN_ID" "ls --format"
	run bt volume inspect -f '{{.Options.type}} {{index .Labels "e2e.cli"}}' "$v"
	assert_eq "$output" "tmpfs $RUN_ID" "inspect -f"
	run bt volume create -d nope "$CT_PREFIX-x"
	assert_failure
	assert_contains "$output" 'plugin "nope" not found'
	before=$(anon_count)
	run bt run --name "$n" -v "$v:/t" -v /anon --mount "type=volume,dst=/l,volume-label=e2e.m=$RUN_ID" \
		busybox sh -c 'grep -c " /t tmpfs" /proc/mounts'
	assert_status 0
	assert_eq "$output" 1 "a tmpfs volume through berth run -v"
	assert_eq "$(anon_count)" $((before + 2)) "anonymous volumes"
	run dk volume ls -q -f "label=e2e.m=$RUN_ID"
	assert_eq "${#lines[@]}" 1 "--mount volume-label"
	run bt volume rm "$v"
	assert_failure
	assert_contains "$output" "volume is in use"
	bt rm -v "$n" >/dev/null
	assert_eq "$(anon_count)" "$before" "anonymous volumes after berth rm -v"
	run bt volume rm "$v" nope-e2e-vol
	assert_failure
	assert_eq "${lines[0]}" "$v" "rm prints what it removed"
	assert_contains "$output" "get nope-e2e-vol: no such volume"
	run bt volume rm -f nope-e2e-vol
	assert_status 0
	bt volume create >/dev/null
	run bt volume prune -f
	assert_status 0
	assert_contains "$output" "Deleted Volumes:"
	assert_contains "$output" "Total reclaimed space:"
}

@test "volumes: a container's start and stop give volume mount and unmount events" {
	local v n t0
	v=$(vname ev)
	n=$(cname)
	t0=$(date +%s)
	dk run --name "$n" -v "$v:/data:ro" busybox true
	run dk events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=volume \
		--format '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "destination"}} {{index .Actor.Attributes "read/write"}}'
	assert_status 0
	assert_contains "$output" "create $v"
	assert_contains "$output" "mount $v /data false"
	assert_contains "$output" "unmount $v"
}

@test "volumes: a tmpfs volume is unmounted when its last container stops, and its content goes" {
	local v n
	v=$(vname tmpfs)
	n=$(cname)
	dk volume create -d local -o type=tmpfs -o device=tmpfs -o o=size=1m "$v" >/dev/null
	dk run -d --name "$n" -v "$v:/d" busybox sh -c 'echo kept > /d/f; echo ready; sleep 100' >/dev/null
	wait_log "$n" ready
	run dk run --rm -v "$v:/d" busybox cat /d/f
	assert_eq "$output" "kept" "shared while a container uses it"
	dk rm -f "$n" >/dev/null
	run dk run --rm -v "$v:/d" busybox ls -A /d
	assert_status 0
	assert_eq "$output" "" "a fresh tmpfs once no container used it"
}

@test "volumes: a volume on /etc still shows the container's hostname and hosts files" {
	local v
	v=$(vname etc)
	run dk run --rm --hostname vol-etc-host -v "$v:/etc" busybox sh -c 'cat /etc/hostname; grep -c vol-etc-host /etc/hosts'
	assert_status 0
	assert_eq "$output" "vol-etc-host
1"
}
