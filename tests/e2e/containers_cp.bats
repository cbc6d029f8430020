#!/usr/bin/env bats
# A container's filesystem from outside, through the real docker CLI and
# curl: docker cp both ways (running, paused, created and stopped
# containers), the archive endpoints' status codes, texts and stat header,
# docker export and docker diff, and hostile input: symlinks inside the
# container that point at / or at a host directory, and tars with `..`
# names, absolute names, hardlinks and symlinks out of the target directory,
# and a name longer than the filesystem takes. dockerd (bench/peers) is the
# reference for every expectation; nothing may land on the host.
#
# Needs root and the fixture registry serving busybox on 127.0.0.1:5000
# (the daemon uses it as its docker.io mirror). Each test makes its own
# containers; teardown_file removes them all before the daemon stops.

load helpers
load images_helpers

setup_file() {
	e2e_setup_file
	require_fixtures
	printf '{"registry-mirrors":["http://%s"]}\n' "$FIXTURE_REGISTRY" >"$CONF"
	start_daemon
	dk pull -q busybox >/dev/null
	MARK=berth-e2e-cp-$$-$RANDOM
	export MARK
}

teardown_file() {
	local ids=()
	if daemon_running; then
		mapfile -t ids < <(dk ps -aq)
		[ ${#ids[@]} -eq 0 ] || dk rm -f "${ids[@]}" >/dev/null 2>&1
	fi
	rm -rf "/$MARK" "/etc/$MARK" "/etc/$MARK-e" "/etc/$MARK-2" "/x/$MARK"
	e2e_teardown_file
}

setup() {
	img_setup
	T=$E2E_TMP/t$BATS_TEST_NUMBER
	mkdir -p "$T"
	export T
}

teardown() { img_teardown; }

# ------------------------------------------------------------------ helpers
# sleeper NAME: a running busybox.
sleeper() { dk run -d --name "$1" busybox sleep 1000 >/dev/null; }

cid() { dk inspect -f '{{.Id}}' "$1"; }

# mounted NAME: the container's rootfs is mounted in the daemon's namespace.
mounted() { grep -q "$(cid "$1")/rootfs" /proc/self/mountinfo; }

# stat_json NAME PATH: the decoded X-Docker-Container-Path-Stat of a HEAD.
stat_json() {
	api HEAD "/containers/$1/archive?path=$2"
	header X-Docker-Container-Path-Stat | base64 -d
}

# fetch PATH OUT: GET PATH into the file OUT (a tar is too big for api's
# HTTP_BODY); sets HTTP_STATUS and HTTP_HEADERS.
fetch() {
	HTTP_STATUS=$(curl -sS --max-time 60 --unix-socket "$SOCK" -D "$2.headers" -o "$2" \
		-w '%{http_code}' "http://localhost$1")
	HTTP_HEADERS=$(tr -d '\r' <"$2.headers")
	export HTTP_STATUS HTTP_HEADERS
}

# put NAME PATH TAR [QUERY]: PUT the tar into PATH as the CLI does.
put() {
	api PUT "/containers/$1/archive?path=$2${4:-}" -H 'Content-Type: application/x-tar' \
		--data-binary "@$3"
}

# mktar OUT NAME:TYPE[:TARGET[:DATA]]...: a tar of crafted entries (TYPE f
# file, d directory, l symlink, h hardlink), names taken as they are.
mktar() {
	python3 - "$@" <<-'EOF'
	import io, sys, tarfile
	with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
	    for spec in sys.argv[2:]:
	        name, kind, target, data = (spec.split(":", 3) + ["", ""])[:4]
	        ti = tarfile.TarInfo(name)
	        ti.mtime = 1700000000
	        ti.type = {"f": tarfile.REGTYPE, "d": tarfile.DIRTYPE,
	                   "l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE}[kind]
	        ti.mode = 0o755 if kind == "d" else 0o644
	        ti.linkname = target
	        body = data.encode()
	        ti.size = len(body) if kind == "f" else 0
	        t.addfile(ti, io.BytesIO(body) if kind == "f" else None)
	EOF
}

# ------------------------------------------------------------------ cp
@test "cp out and in of a running container; the stat header is dockerd's, byte for byte" {
	sleeper cp-run
	run dk cp cp-run:/etc/passwd "$T/passwd"
	assert_status 0
	assert_eq "$(head -1 "$T/passwd")" "root:x:0:0:root:/root:/bin/sh"
	assert_eq "$(dk cp cp-run:/etc/passwd - | tar -t)" passwd "entry name of a file"
	mkdir -p "$T/src/sub" && echo deep >"$T/src/sub/f" && ln -s f "$T/src/sub/l"
	dk cp "$T/src" cp-run:/tmp/
	assert_eq "$(dk exec cp-run cat /tmp/src/sub/f) $(dk exec cp-run readlink /tmp/src/sub/l)" "deep f"
	mktar "$T/in.tar" "from-stdin:f::piped"
	dk cp - cp-run:/ <"$T/in.tar"
	assert_eq "$(dk exec cp-run cat /from-stdin)" piped "cp - reads a tar"
	# the file of the fixture's busybox, as dockerd encodes its stat
	api HEAD "/containers/cp-run/archive?path=/etc/passwd"
	assert_eq "$HTTP_STATUS" 200
	assert_eq "$(header X-Docker-Container-Path-Stat)" \
		eyJuYW1lIjoicGFzc3dkIiwic2l6ZSI6MzQwLCJtb2RlIjo0MjAsIm10aW1lIjoiMjAyNC0wMS0wMVQwMDowMDowMFoiLCJsaW5rVGFyZ2V0IjoiIn0=
	# a symlink: its own mode, its target resolved in the container
	assert_eq "$(stat_json cp-run /bin/sh | jq -c '[.name, .mode, .linkTarget]')" \
		'["sh",134218239,"/bin/busybox"]'
	assert_eq "$(stat_json cp-run /tmp | jq -c '[.name, .mode]')" '["tmp",2148532735]' "sticky dir"
	# the network files are the container's, as in docker's view
	assert_eq "$(dk cp cp-run:/etc/hostname - | tar -xO)" "$(cid cp-run | cut -c1-12)"
}

@test "cp on created, paused and stopped containers; the rootfs is unmounted after; docker's events" {
	local since
	since=$(now_ts)
	dk create --name cp-created busybox cat /in >/dev/null
	echo hello >"$T/in"
	run dk cp "$T/in" cp-created:/in
	assert_status 0
	# (berth keeps a just-created container's rootfs mounted while its start
	# is prepared: the prepared container uses that mount. Once it has
	# stopped, nothing may stay mounted: checked below.)
	run dk start -a cp-created
	assert_eq "$output" hello "the process sees the file"
	run dk cp cp-created:/in "$T/back"
	assert_status 0
	assert_eq "$(cat "$T/back")" hello
	dk export cp-created | tar -t >/dev/null
	! mounted cp-created || { echo "rootfs of a stopped container left mounted" >&2; return 1; }
	sleeper cp-paused
	dk pause cp-paused >/dev/null
	dk cp "$T/in" cp-paused:/tmp/in
	assert_eq "$(dk cp cp-paused:/tmp/in - | tar -xO)" hello "paused"
	dk unpause cp-paused >/dev/null
	mounted cp-paused || { echo "cp unmounted a running container's rootfs" >&2; return 1; }
	run dk events --since "$since" --until "$(now_ts)" --filter container=cp-created \
		--format '{{.Action}}'
	assert_eq "$(grep -E '^(archive-path|extract-to-dir|export)$' <<<"$output" | tr '\n' ' ')" \
		"extract-to-dir archive-path export "
}

@test "GET archive names entries as dockerd: dir/, dir/. as ./, / as /, a symlink itself" {
	sleeper cp-names
	dk exec cp-names sh -c 'mkdir -p /d/sub && echo x >/d/sub/x && ln -s /d /dl'
	assert_eq "$(dk cp cp-names:/d - | tar -t | tr '\n' ' ')" "d/ d/sub/ d/sub/x "
	assert_eq "$(dk cp cp-names:/d/. - | tar -t | tr '\n' ' ')" "./ ./sub/ ./sub/x "
	assert_eq "$(dk cp cp-names:/dl - | tar -tv | awk '{print $6, $7, $8}')" "dl -> /d"
	fetch "/containers/cp-names/archive?path=/" "$T/root.tar"
	assert_eq "$HTTP_STATUS $(header Content-Type)" "200 application/x-tar"
	assert_eq "$(stat_json cp-names /dl/ | jq -r .name)" dl "a trailing / follows the link"
	assert_eq "$(tar -tf "$T/root.tar" 2>/dev/null | head -2 | tr '\n' ' ')" "/ /bin/ "
}

@test "archive errors: dockerd's statuses and texts" {
	sleeper cp-err
	api HEAD "/containers/cp-err/archive?path=/nope"
	assert_eq "$HTTP_STATUS" 404
	api GET "/containers/cp-err/archive?path=/nope"
	assert_eq "$HTTP_STATUS $(json_get .message)" "404 Could not find the file /nope in container cp-err"
	api GET "/containers/cp-err/archive?path=/etc/passwd/"
	assert_eq "$HTTP_STATUS $(json_get .message)" "500 lstat /etc/passwd/: not a directory"
	api GET "/containers/cp-err/archive"
	assert_eq "$HTTP_STATUS $(json_get .message)" "400 bad parameter: pathcannot be empty"
	api GET "/containers/nope-$MARK/archive?path=/"
	assert_eq "$HTTP_STATUS $(json_get .message)" "404 No such container: nope-$MARK"
	mktar "$T/ok.tar" "f:f::x"
	put cp-err /nope "$T/ok.tar"
	assert_eq "$HTTP_STATUS $(json_get .message)" "404 Could not find the file /nope in container cp-err"
	put cp-err /etc/passwd "$T/ok.tar"
	assert_eq "$HTTP_STATUS $(json_get .message)" "400 extraction point is not a directory"
	dk create --name cp-ro --read-only busybox >/dev/null
	run dk cp "$T/ok.tar" cp-ro:/tmp/
	assert_failure
	assert_contains "$output" "container rootfs is marked read-only"
	# relative paths start at /, as dockerd takes them
	put cp-err tmp "$T/ok.tar"
	assert_eq "$HTTP_STATUS" 200
	assert_eq "$(dk exec cp-err cat /tmp/f)" x
}

@test "PUT archive: noOverwriteDirNonDir, copyUIDGID (-a), .wh. names are plain files" {
	sleeper cp-opt
	mktar "$T/over.tar" "etc:f::x"
	put cp-opt / "$T/over.tar" '&noOverwriteDirNonDir=true'
	assert_eq "$HTTP_STATUS $(json_get .message)" \
		'500 cannot overwrite directory "/etc" with non-directory "/"'
	dk exec cp-opt test -d /etc
	mktar "$T/wh.tar" ".wh.foo:f::" "d/.wh..wh..opq:f::"
	put cp-opt /tmp "$T/wh.tar"
	assert_eq "$HTTP_STATUS" 200
	dk exec cp-opt test -f /tmp/.wh.foo -a -f /tmp/d/.wh..wh..opq
	dk create --name cp-user --user nobody busybox >/dev/null
	echo x >"$T/owned"
	dk cp -a "$T/owned" cp-user:/tmp/a
	dk cp "$T/owned" cp-user:/tmp/plain
	assert_eq "$(dk cp cp-user:/tmp - | tar -tv | awk '/tmp\/(a|plain)$/ {print $2, $6}' | tr '\n' ' ')" \
		"nobody/nogroup tmp/a root/root tmp/plain "
}

# ------------------------------------------------------------------ hostile
@test "hostile: symlinks in the container to / and to a host directory never reach the host" {
	mkdir -p "$T/outside"
	echo secret >"$T/outside/secret"
	echo data >"$T/in"
	echo data >"$T/$MARK-e"
	sleeper cp-links
	dk exec cp-links sh -c "ln -s / /rootlink; ln -s /etc /etclink; ln -s ../../../../../etc /uplink; ln -s '$T/outside' /hostlink"
	dk cp "$T/in" "cp-links:/rootlink/$MARK"
	dk cp "$T/$MARK-e" cp-links:/etclink/
	dk cp "$T/in" "cp-links:/uplink/$MARK"
	[ ! -e "/$MARK" ] && [ ! -e "/etc/$MARK" ] && [ ! -e "/etc/$MARK-e" ] ||
		{ echo "docker cp wrote through a container symlink onto the host" >&2; return 1; }
	dk exec cp-links test -f "/$MARK" -a -f "/etc/$MARK-e" -a -f "/etc/$MARK"
	assert_eq "$(stat_json cp-links /uplink | jq -r .linkTarget)" /etc "linkTarget stays in the root"
	run dk cp "$T/in" "cp-links:/hostlink/pwned"
	assert_eq "$(cd "$T/outside" && find . | sort | tr '\n' ' ')" ". ./secret " "host dir"
	run dk cp cp-links:/hostlink/secret "$T/got"
	assert_failure
	[ ! -e "$T/got" ]
	# a tar entry under such a link: resolved in the container too
	mktar "$T/via.tar" "l:l:/etc" "l/$MARK-2:f::x"
	put cp-links /tmp "$T/via.tar"
	assert_eq "$HTTP_STATUS" 200
	[ ! -e "/etc/$MARK-2" ] || { rm -f "/etc/$MARK-2"; echo "wrote the host's /etc" >&2; return 1; }
	dk exec cp-links test -f "/etc/$MARK-2"
}

# refused STATUS-AND-MESSAGE ENTRY...: a tar of the entries, put into
# cp-tar:/x/y, is refused with dockerd's status and text.
refused() {
	local want=$1
	shift
	mktar "$T/r.tar" "$@"
	put cp-tar /x/y "$T/r.tar"
	assert_eq "$HTTP_STATUS $(json_get .message)" "$want" "PUT of $*"
}

@test "hostile tars: .. names, absolute names, links out of the directory, a huge name" {
	sleeper cp-tar
	dk exec cp-tar mkdir -p /x/y
	refused "500 \"../$MARK\" is outside of \"/x/y\"" "../$MARK:f::x"
	refused "500 \"../$MARK\" is outside of \"/x/y\"" "a/../../$MARK:f::x"
	refused '500 invalid hardlink "/x/etc/passwd" -> "../etc/passwd"' "hl:h:../etc/passwd"
	refused "500 link /x/y/etc/passwd /x/y/hl: no such file or directory" "hl:h:/etc/passwd"
	refused '500 invalid symlink "/x/y/sl" -> "../../etc"' "sl:l:../../etc"
	mktar "$T/abs.tar" "/$MARK:f::abs" "in/f:f::a" "in/g:h:in/f"
	put cp-tar /x/y "$T/abs.tar"
	assert_eq "$HTTP_STATUS" 200
	dk exec cp-tar test -f "/x/y/$MARK" -a -f /x/y/in/g
	[ ! -e "/$MARK" ] && [ ! -e "/x/$MARK" ] || { echo "an entry left the directory" >&2; return 1; }
	mktar "$T/long.tar" "$(printf 'L%.0s' $(seq 300)):f::x"
	put cp-tar /x/y "$T/long.tar"
	assert_eq "$HTTP_STATUS" 500
	assert_match "$(json_get .message)" '^open /x/y/L+: file name too long$'
	assert_eq "$(dk exec cp-tar ls /x | tr '\n' ' ')" "y "
}

# ------------------------------------------------------------------ export, diff
@test "export: the whole filesystem, bin/busybox included, of a running and of a created container" {
	sleeper cp-exp
	dk exec cp-exp sh -c 'echo mine >/mine'
	dk export cp-exp >"$T/fs.tar"
	run tar -tf "$T/fs.tar"
	assert_status 0
	grep -qx bin/busybox <<<"$output" || { echo "no bin/busybox in the export" >&2; return 1; }
	grep -qx etc/passwd <<<"$output"
	assert_eq "$(tar -xOf "$T/fs.tar" mine)" mine
	fetch /containers/cp-exp/export "$T/fs2.tar"
	assert_eq "$HTTP_STATUS $(header Content-Type)" "200 application/octet-stream"
	dk create --name cp-exp2 busybox >/dev/null
	dk export cp-exp2 | tar -t | grep -qx bin/busybox
	api GET "/containers/nope-$MARK/export"
	assert_eq "$HTTP_STATUS" 404
}

@test "diff: A, C and D lines as dockerd lists them; no line for mount targets; null when clean" {
	dk run --name cp-diff busybox sh -c 'echo x >>/etc/passwd; rm /bin/ls; mkdir -p /newdir/sub; rm -rf /home; mkdir /home; touch /home/h; rm -rf /var/spool; chmod 700 /tmp'
	run dk diff cp-diff
	assert_status 0
	assert_eq "$output" "$(printf '%s\n' 'C /bin' 'D /bin/ls' 'C /etc' 'C /etc/passwd' 'C /home' \
		'A /home/h' 'A /newdir' 'A /newdir/sub' 'C /tmp' 'C /var' 'D /var/spool')"
	# a container that ran but changed nothing (the runtime's mount
	# targets in /etc are docker's init layer): null, no line
	dk run --name cp-clean busybox true
	api GET /containers/cp-clean/changes
	assert_eq "$HTTP_STATUS $HTTP_BODY" "200 null"
	dk create --name cp-new busybox >/dev/null
	dk cp "$T" cp-new:/
	assert_eq "$(dk diff cp-new)" "A /t$BATS_TEST_NUMBER"
	api GET "/containers/nope-$MARK/changes"
	assert_eq "$HTTP_STATUS" 404
}
