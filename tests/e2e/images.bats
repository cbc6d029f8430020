#!/usr/bin/env bats
# Images through the real docker CLI (and curl where the CLI hides the API):
# pull from the fixture registry as a docker.io mirror, list and filters,
# inspect against the registry's own digests, history, tag, rmi (untag vs
# delete, conflicts, layer garbage collection), system df, info, events.
# dockerd's behaviour is the reference for every expectation.
#
# Needs the fixture registry (/work/shared/fixtures/make-images) on
# 127.0.0.1:5000; every test is skipped without it. tests/helpers/fakereg.py
# serves the few images the fixtures cannot (distinct Created times, an
# arm64 config with a variant, an unknown repository). All traffic stays on
# loopback: docker.io names are only those the fixtures mirror.
#
# The tests of this file share one daemon and run in order (each states
# what it needs from the earlier ones, and pulls it if missing).

load helpers
load images_helpers

setup_file() {
	e2e_setup_file
	require_fixtures
	fakereg_start
	save_daemon_args --registry-mirror "http://$FIXTURE_REGISTRY"
	start_env_daemon
	case $(uname -m) in
	x86_64) HOST_ARCH=amd64 OTHER_ARCH=arm64 ;;
	aarch64 | arm64) HOST_ARCH=arm64 OTHER_ARCH=amd64 ;;
	*) HOST_ARCH=$(uname -m) OTHER_ARCH=arm64 ;;
	esac
	export HOST_ARCH OTHER_ARCH
}

teardown_file() {
	fakereg_stop
	e2e_teardown_file
}

setup() { img_setup; }

teardown() { img_teardown; }

R=$FIXTURE_REGISTRY

ensure_pulled() { # NAME...
	local n
	for n in "$@"; do
		dk image inspect "$n" >/dev/null 2>&1 || dk pull -q "$n" >/dev/null || return 1
	done
}

# ------------------------------------------------------------------ pull
@test "pull busybox: progress lines, the index digest, 'Downloaded newer image'" {
	local idx man layer
	idx=$(index_digest "$R" library/busybox latest)
	man=$(platform_manifest "$R" library/busybox latest "$HOST_ARCH")
	layer=$(reg_curl "$R" "/v2/library/busybox/manifests/$man" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | jq -r '.layers[0].digest')
	[ -n "$idx" ] && [ -n "$layer" ]
	run dk pull busybox
	assert_status 0
	assert_eq "${lines[0]}" "Using default tag: latest" "first line"
	assert_contains "$output" "latest: Pulling from library/busybox"
	assert_contains "$output" "${layer:7:12}: Pull complete"
	assert_contains "$output" "Digest: $idx"
	assert_contains "$output" "Status: Downloaded newer image for busybox:latest"
	assert_eq "${lines[-1]}" "docker.io/library/busybox:latest" "last line"
}

@test "pull busybox again: 'Image is up to date', same digest" {
	ensure_pulled busybox
	run dk pull busybox
	assert_status 0
	assert_contains "$output" "Digest: $(index_digest "$R" library/busybox latest)"
	assert_contains "$output" "Status: Image is up to date for busybox:latest"
	assert_not_contains "$output" "Downloaded newer image"
}

@test "pull of an image already present prints no layer lines, as dockerd" {
	# dockerd finds the config locally and returns before the layers:
	# "Pulling from", "Digest:", "Status: Image is up to date", nothing else.
	ensure_pulled busybox
	run dk pull busybox
	assert_status 0
	if grep -E '^[0-9a-f]{12}: ' <<<"$output"; then
		echo "layer lines printed for an image that is up to date:" >&2
		echo "$output" >&2
		return 1
	fi
}

@test "api: pull streams chunked JSON lines with Downloading progress (debian)" {
	forget debian:bookworm-slim
	api_pull 'fromImage=debian&tag=bookworm-slim'
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(header Transfer-Encoding)" chunked Transfer-Encoding
	# every line is one JSON object, CRLF-terminated
	local n bad
	n=$(grep -c . <<<"$HTTP_BODY")
	[ "$n" -ge 5 ]
	bad=$(tr -d '\r' <<<"$HTTP_BODY" | while IFS= read -r l; do jq -e 'type == "object"' <<<"$l" >/dev/null 2>&1 || echo "$l"; done)
	assert_eq "$bad" "" "lines that are not JSON objects"
	[ "$(grep -c $'\r$' <<<"$HTTP_BODY")" = "$n" ] || {
		echo "not every line ends with CRLF" >&2
		return 1
	}
	local body
	body=$(tr -d '\r' <<<"$HTTP_BODY")
	jq -se 'map(select(.status == "Pulling from library/debian" and .id == "bookworm-slim")) | length == 1' <<<"$body" >/dev/null ||
		{ echo "no {status: Pulling from library/debian, id: bookworm-slim}" >&2; echo "$body" | head >&2; return 1; }
	jq -se 'map(select(.status == "Downloading" and .progressDetail.current > 0 and .progressDetail.total > 0 and (.progress | type) == "string" and (.id | test("^[0-9a-f]{12}$")))) | length >= 1' <<<"$body" >/dev/null ||
		{ echo "no Downloading line with progressDetail {current,total}, progress and a 12-hex id" >&2; return 1; }
	jq -se 'map(select(.status == "Pull complete")) | length == 1' <<<"$body" >/dev/null
	assert_eq "$(jq -sr 'map(.status) | last' <<<"$body")" "Status: Downloaded newer image for debian:bookworm-slim" "last status"
	assert_eq "$(jq -sr 'map(select(.error)) | length' <<<"$body")" 0 "error lines"
}

@test "pull redis:7 then nginx: the shared debian layer 'Already exists'" {
	local base own
	base=$(reg_curl "$R" /v2/library/redis/manifests/7 \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' | jq -r '.layers[0].digest')
	own=$(reg_curl "$R" /v2/library/nginx/manifests/latest \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | jq -r '.layers[1].digest')
	run dk pull redis:7
	assert_status 0
	assert_contains "$output" "7: Pulling from library/redis"
	assert_contains "$output" "Status: Downloaded newer image for redis:7"
	assert_eq "${lines[-1]}" "docker.io/library/redis:7" "last line"
	run dk pull nginx
	assert_status 0
	assert_contains "$output" "${base:7:12}: Already exists"
	assert_contains "$output" "${own:7:12}: Pull complete"
	assert_contains "$output" "Status: Downloaded newer image for nginx:latest"
}

# ------------------------------------------------------------------ inspect, history
@test "image inspect: Id is the config digest, RepoDigests the index digest, fields from the config" {
	ensure_pulled busybox
	local idx man cfg config
	idx=$(index_digest "$R" library/busybox latest)
	man=$(platform_manifest "$R" library/busybox latest "$HOST_ARCH")
	cfg=$(config_digest "$R" library/busybox "$man")
	config=$(reg_curl "$R" "/v2/library/busybox/blobs/$cfg")
	[ -n "$cfg" ] && [ -n "$config" ]
	run dk image inspect --format '{{.Id}}' busybox
	assert_status 0
	assert_eq "$output" "$cfg" "Id (CLI)"
	api GET /images/busybox/json
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(json_get .Id)" "$cfg" Id
	assert_eq "$(json_c .RepoTags)" '["busybox:latest"]' RepoTags
	assert_eq "$(json_c .RepoDigests)" "[\"busybox@$idx\"]" RepoDigests
	assert_eq "$(json_get .Os)" linux Os
	assert_eq "$(json_get .Architecture)" "$HOST_ARCH" Architecture
	assert_eq "$(json_c .Config.Cmd)" '["sh"]' Config.Cmd
	assert_eq "$(json_get .Created)" "$(jq -r .created <<<"$config")" Created
	assert_eq "$(json_get .RootFS.Type)" layers RootFS.Type
	assert_eq "$(json_c .RootFS.Layers)" "$(jq -c .rootfs.diff_ids <<<"$config")" RootFS.Layers
	[ "$(json_get .Size)" -gt 1000000 ] || { echo "Size $(json_get .Size) too small" >&2; return 1; }
	# the same image by digest reference and by short ID
	run dk image inspect --format '{{.Id}}' "busybox@$idx"
	assert_status 0
	assert_eq "$output" "$cfg" "Id by digest reference"
	run dk image inspect --format '{{.Id}}' "${cfg:7:12}"
	assert_status 0
	assert_eq "$output" "$cfg" "Id by short ID"
}

@test "image inspect of a missing image: 'No such image', 404 JSON" {
	run dk image inspect nope:1
	assert_failure
	assert_contains "$output" "No such image: nope:1"
	api GET /images/nope:1/json
	assert_eq "$HTTP_STATUS" 404 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(json_get .message)" "No such image: nope:1" message
}

@test "history redis:7: two lines with sizes and created-by from the config" {
	ensure_pulled redis:7
	local id config
	id=$(dk image inspect --format '{{.Id}}' redis:7)
	config=$(reg_curl "$R" "/v2/library/redis/blobs/$id")
	run dk history redis:7
	assert_status 0
	assert_match "${lines[0]}" '^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$' header
	assert_eq "${#lines[@]}" 3 "lines (header + 2)"
	run dk history --no-trunc --format '{{.ID}}|{{.Size}}|{{.CreatedBy}}' redis:7
	assert_status 0
	assert_eq "${#lines[@]}" 2 "history entries"
	assert_match "${lines[0]}" "^$id\\|[0-9.]+[kMG]?B\\|" "top entry"
	assert_match "${lines[1]}" '^<missing>\|[0-9.]+[kMG]?B\|' "base entry"
	assert_eq "$(cut -d'|' -f3 <<<"${lines[0]}")" "$(jq -r '.history[-1].created_by' <<<"$config")" "top CreatedBy"
	assert_eq "$(cut -d'|' -f3 <<<"${lines[1]}")" "$(jq -r '.history[0].created_by' <<<"$config")" "base CreatedBy"
	if cut -d'|' -f2 <<<"$output" | grep -qx '0B'; then
		echo "a layer of size 0B in the history: $output" >&2
		return 1
	fi
	# the layer sizes add up to the image size, as with dockerd
	api GET /images/redis:7/history
	assert_eq "$HTTP_STATUS" 200 status
	local sum size
	sum=$(json_get '[.[].Size] | add')
	api GET /images/redis:7/json
	size=$(json_get .Size)
	assert_eq "$sum" "$size" "sum of history sizes vs image Size"
}

# ------------------------------------------------------------------ platforms
@test "pull --platform (the other architecture) busybox: that image, the tag moves, the old one is dangling" {
	ensure_pulled busybox
	local old idx man cfg config want_variant
	old=$(dk image inspect --format '{{.Id}}' busybox)
	idx=$(index_digest "$R" library/busybox latest)
	man=$(platform_manifest "$R" library/busybox latest "$OTHER_ARCH")
	cfg=$(config_digest "$R" library/busybox "$man")
	config=$(reg_curl "$R" "/v2/library/busybox/blobs/$cfg")
	run dk pull --platform "linux/$OTHER_ARCH" busybox
	assert_status 0
	assert_contains "$output" "Status: Downloaded newer image for busybox:latest"
	run dk image inspect --format '{{.Architecture}}' busybox
	assert_status 0
	assert_eq "$output" "$OTHER_ARCH" Architecture
	api GET /images/busybox/json
	assert_eq "$(json_get .Id)" "$cfg" "Id (the $OTHER_ARCH config)"
	assert_eq "$(json_c .RepoDigests)" "[\"busybox@$idx\"]" RepoDigests
	# dockerd takes Variant from the image config (the fixture's has none;
	# the index's platform says v8): absent when the config has none
	want_variant=$(jq -r '.variant // ""' <<<"$config")
	assert_eq "$(json_get '.Variant // ""')" "$want_variant" "Variant (config says '$want_variant')"
	# the previous image lost its name: <none>:<none>, dangling
	run dk images --filter dangling=true --format '{{.ID}} {{.Repository}}:{{.Tag}}'
	assert_status 0
	assert_contains "$output" "${old:7:12} <none>:<none>"
}

@test "pull --platform linux/arm64 of an index whose arm64 config says variant v8: Variant v8" {
	local want
	want=$(fakereg_stats | jq -r '.digests["index-arm64"].config')
	run dk pull --platform linux/arm64 "$FAKEREG/ok/index"
	assert_status 0
	run dk image inspect --format '{{.Architecture}} {{.Variant}} {{.Id}}' "$FAKEREG/ok/index"
	assert_status 0
	assert_eq "$output" "arm64 v8 $want" "Architecture Variant Id"
	# arm64/v8 names the same manifest
	run dk pull --platform linux/arm64/v8 "$FAKEREG/ok/index"
	assert_status 0
	assert_contains "$output" "Image is up to date"
}

@test "pull --platform with no match in the index: 'no matching manifest', as dockerd words it" {
	run dk pull --platform linux/s390x "$FAKEREG/ok/index"
	assert_failure
	assert_contains "$output" "no matching manifest for linux/s390x in the manifest list entries"
	# dockerd: "Error response from daemon: no matching manifest for ...",
	# nothing before it
	assert_contains "$output" "Error response from daemon: no matching manifest for linux/s390x"
}

@test "pull busybox after --platform: back to the host's image, 'Downloaded newer image'" {
	ensure_pulled busybox
	local man cfg
	man=$(platform_manifest "$R" library/busybox latest "$HOST_ARCH")
	cfg=$(config_digest "$R" library/busybox "$man")
	run dk pull busybox
	assert_status 0
	run dk image inspect --format '{{.Architecture}} {{.Id}}' busybox
	assert_eq "$output" "$HOST_ARCH $cfg" "Architecture Id"
}

# ------------------------------------------------------------------ list
@test "docker images: table, -q, --digests, --no-trunc and --format" {
	ensure_pulled busybox redis:7 nginx
	local id idx
	id=$(dk image inspect --format '{{.Id}}' busybox)
	idx=$(index_digest "$R" library/busybox latest)
	run dk images
	assert_status 0
	assert_match "${lines[0]}" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$' header
	assert_match "$output" $'\n'"busybox +latest +${id:7:12} +[0-9a-zA-Z ]+ ago +[0-9.]+[kM]B"$'(\n|$)' "busybox row"
	run dk images --format '{{.Repository}}:{{.Tag}}'
	assert_status 0
	local want
	for want in busybox:latest redis:7 nginx:latest; do
		grep -qxF "$want" <<<"$output" || { echo "$want not listed: $output" >&2; return 1; }
	done
	run dk images -q
	assert_status 0
	if grep -vE '^[0-9a-f]{12}$' <<<"$output"; then
		echo "-q printed something else than short IDs" >&2
		return 1
	fi
	run dk images --digests --format '{{.Repository}} {{.Digest}}' busybox
	assert_status 0
	assert_contains "$output" "busybox $idx"
	run dk images --no-trunc --format '{{.ID}}' busybox
	assert_eq "$output" "$id" "--no-trunc ID"
}

@test "docker images --filter dangling=true lists only <none>, dangling=false none of them" {
	ensure_pulled busybox
	# make sure there is a dangling image: the other platform's busybox
	# (pulled and replaced by the host's one above)
	run dk images --filter dangling=true --format '{{.Repository}}:{{.Tag}}'
	assert_status 0
	[ -n "$output" ] || { echo "no dangling image (expected the replaced busybox)" >&2; return 1; }
	if grep -vxF '<none>:<none>' <<<"$output"; then
		echo "dangling=true listed tagged images" >&2
		return 1
	fi
	run dk images --filter dangling=false --format '{{.Repository}}:{{.Tag}}'
	assert_status 0
	assert_not_contains "$output" "<none>"
	assert_contains "$output" "busybox:latest"
	api GET '/images/json?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D'
	assert_eq "$HTTP_STATUS" 400 "status of dangling=maybe"
}

@test "docker images --filter reference=bus*: only busybox" {
	ensure_pulled busybox redis:7
	run dk images --filter 'reference=bus*' --format '{{.Repository}}:{{.Tag}}'
	assert_status 0
	assert_eq "$output" "busybox:latest" "reference=bus*"
	run dk images --format '{{.Repository}}:{{.Tag}}' 'redis:*'
	assert_status 0
	assert_eq "$output" "redis:7" "images 'redis:*'"
}

@test "docker images NAME lists only the matching names of a multi-tagged image, as dockerd" {
	# dockerd keeps only the RepoTags that match the reference filter, so
	# another name of the same image is not listed.
	ensure_pulled busybox
	dk tag busybox 127.0.0.1:5000/me/refs:1
	run dk images --format '{{.Repository}}:{{.Tag}}' busybox
	dk rmi 127.0.0.1:5000/me/refs:1 >/dev/null
	assert_status 0
	assert_eq "$output" "busybox:latest" "docker images busybox"
}

@test "docker images --filter before/since compare Created (strictly)" {
	local p
	for p in ok/older ok/plain ok/newer; do
		dk pull -q "$FAKEREG/$p" >/dev/null
	done
	run dk images --filter "before=$FAKEREG/ok/plain" --format '{{.Repository}}'
	assert_status 0
	assert_contains "$output" "$FAKEREG/ok/older"
	assert_not_contains "$output" "$FAKEREG/ok/plain"
	assert_not_contains "$output" "$FAKEREG/ok/newer"
	assert_not_contains "$output" "redis" "before= (fixture images are from 2024)"
	run dk images --filter "since=$FAKEREG/ok/plain" --format '{{.Repository}}'
	assert_status 0
	assert_contains "$output" "$FAKEREG/ok/newer"
	assert_not_contains "$output" "$FAKEREG/ok/older"
	assert_not_contains "$output" "$FAKEREG/ok/plain"
	# the fixture images all have the same Created: none is before or after another
	ensure_pulled redis:7 nginx
	run dk images --filter before=nginx --format '{{.Repository}}'
	assert_status 0
	assert_not_contains "$output" "redis"
	assert_not_contains "$output" "busybox"
	run dk images --filter before=nope:1
	assert_failure
	assert_contains "$output" "No such image: nope:1"
}

# ------------------------------------------------------------------ tag, rmi
@test "tag busybox 127.0.0.1:5000/me/bb:1: listed under both names with one ID" {
	ensure_pulled busybox
	local id
	id=$(dk image inspect --format '{{.Id}}' busybox)
	run dk tag busybox 127.0.0.1:5000/me/bb:1
	assert_status 0
	run dk images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_contains "$output" "127.0.0.1:5000/me/bb:1 ${id:7:12}"
	assert_contains "$output" "busybox:latest ${id:7:12}"
	run dk image inspect --format '{{.Id}}' 127.0.0.1:5000/me/bb:1
	assert_eq "$output" "$id" "Id by the new name"
	api GET /images/busybox/json
	json_get '.RepoTags[]' | grep -qxF 127.0.0.1:5000/me/bb:1
	run dk tag nope:1 x:1
	assert_failure
	assert_contains "$output" "No such image: nope:1"
	api POST '/images/busybox/tag?repo=UPPER&tag=x'
	assert_eq "$HTTP_STATUS" 400 "status of tag repo=UPPER"
	assert_contains "$(json_get .message)" "invalid reference format"
}

@test "rmi busybox with a second name: only 'Untagged', the image and its layers stay" {
	ensure_pulled busybox
	dk tag busybox 127.0.0.1:5000/me/bb:1
	local id dirs d
	id=$(dk image inspect --format '{{.Id}}' busybox)
	dirs=$(image_layer_dirs busybox)
	run dk rmi busybox
	assert_status 0
	assert_eq "${lines[0]}" "Untagged: busybox:latest" "first line"
	assert_not_contains "$output" "Deleted:"
	run dk image inspect --format '{{.Id}}' 127.0.0.1:5000/me/bb:1
	assert_eq "$output" "$id" "image under its other name"
	run dk image inspect busybox
	assert_failure
	for d in $dirs; do
		[ -d "$DATA/layers/$d" ] || { echo "layer dir $d removed by an untag" >&2; return 1; }
	done
}

@test "rmi by ID of an image in two repositories: 409 conflict, 'must be forced'" {
	ensure_pulled busybox
	dk tag busybox 127.0.0.1:5000/me/bb:1
	local id
	id=$(dk image inspect --format '{{.Id}}' busybox)
	run dk rmi "${id:7:12}"
	assert_failure
	assert_contains "$output" "conflict: unable to delete ${id:7:12} (must be forced) - image is referenced in multiple repositories"
	api DELETE "/images/$id"
	assert_eq "$HTTP_STATUS" 409 status
	assert_contains "$(json_get .message)" "(must be forced) - image is referenced in multiple repositories"
	dk image inspect busybox >/dev/null
}

@test "rmi -f by ID: untags every name, deletes the image and its unshared layer dirs" {
	ensure_pulled busybox
	dk tag busybox 127.0.0.1:5000/me/bb:1
	local id dirs d
	id=$(dk image inspect --format '{{.Id}}' busybox)
	dirs=$(image_layer_dirs busybox)
	for d in $dirs; do [ -d "$DATA/layers/$d" ]; done
	run dk rmi -f "${id:7:12}"
	assert_status 0
	assert_contains "$output" "Untagged: busybox:latest"
	assert_contains "$output" "Untagged: 127.0.0.1:5000/me/bb:1"
	assert_contains "$output" "Deleted: $id"
	run dk image inspect "$id"
	assert_failure
	for d in $dirs; do
		[ ! -e "$DATA/layers/$d" ] || { echo "layer dir $d of the deleted image is still there" >&2; return 1; }
	done
}

@test "rmi nginx: its own layer goes, the debian layer shared with redis stays" {
	ensure_pulled redis:7 nginx
	local nginx_dirs redis_dirs base top id d
	nginx_dirs=$(image_layer_dirs nginx)
	redis_dirs=$(image_layer_dirs redis:7)
	base=$(head -n 1 <<<"$nginx_dirs")
	top=$(tail -n 1 <<<"$nginx_dirs")
	assert_eq "$base" "$(head -n 1 <<<"$redis_dirs")" "shared base layer"
	id=$(dk image inspect --format '{{.Id}}' nginx)
	run dk rmi nginx
	assert_status 0
	assert_contains "$output" "Untagged: nginx:latest"
	assert_contains "$output" "Deleted: $id"
	[ ! -e "$DATA/layers/$top" ] || { echo "nginx's own layer $top is still there" >&2; return 1; }
	[ -d "$DATA/layers/$base/diff" ] || { echo "the shared layer $base was removed" >&2; return 1; }
	for d in $redis_dirs; do [ -d "$DATA/layers/$d" ]; done
	run dk image inspect --format '{{.Id}}' redis:7
	assert_status 0
}

@test "rmi of an unknown image: 'No such image', 404" {
	run dk rmi nope:1
	assert_failure
	assert_contains "$output" "No such image: nope:1"
	api DELETE /images/nope:1
	assert_eq "$HTTP_STATUS" 404 status
}

# ------------------------------------------------------------------ df, info, events
@test "system df and info count the images" {
	ensure_pulled busybox redis:7
	local n
	api GET '/images/json?all=1'
	n=$(json_get length)
	[ "$n" -ge 2 ]
	run dk system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'
	assert_status 0
	assert_contains "$output" "Images $n 0"
	run dk info --format '{{.Images}}'
	assert_status 0
	assert_eq "$output" "$n" "info Images"
}

@test "events --filter type=image: pull, tag, untag, delete" {
	local t0 t1 id
	t0=$(now_ts)
	dk pull -q busybox >/dev/null
	id=$(dk image inspect --format '{{.Id}}' busybox)
	dk tag busybox evt:1
	dk rmi evt:1 >/dev/null
	dk rmi -f "$id" >/dev/null
	t1=$(now_ts)
	run dk events --since "$t0" --until "$t1" --filter type=image --format '{{.Type}} {{.Action}} {{.Actor.ID}}'
	assert_status 0
	assert_contains "$output" "image pull busybox:latest"
	assert_contains "$output" "image tag $id"
	assert_contains "$output" "image untag $id"
	assert_contains "$output" "image delete $id"
	# the order they happened in
	assert_eq "$(awk '{print $2}' <<<"$output" | uniq | tr '\n' ' ')" "pull tag untag delete " "action order"
	run dk events --since "$t0" --until "$t1" --filter type=image --filter event=delete --format '{{.Action}}'
	assert_status 0
	assert_eq "$output" "delete" "event=delete"
}

@test "events: a pull event is ID=name:tag with attribute name=<repository>, as dockerd" {
	# dockerd: LogImageEvent(FamiliarString(ref), FamiliarName(ref), "pull")
	local t0 t1
	t0=$(now_ts)
	dk pull -q busybox >/dev/null
	t1=$(now_ts)
	run dk events --since "$t0" --until "$t1" --filter type=image --filter event=pull \
		--format '{{.Actor.ID}} name={{index .Actor.Attributes "name"}}'
	assert_status 0
	assert_eq "$output" "busybox:latest name=busybox" "pull event"
}

# ------------------------------------------------------------------ not found, by digest
@test "pull of a missing tag from a direct registry: 'manifest unknown', HTTP 404" {
	run dk pull 127.0.0.1:5000/library/busybox:nope
	assert_status 1
	assert_contains "$output" "manifest for 127.0.0.1:5000/library/busybox:nope not found: manifest unknown"
	api_pull 'fromImage=127.0.0.1:5000/library/busybox&tag=nope'
	assert_eq "$HTTP_STATUS" 404 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_contains "$(json_get .message)" "manifest for 127.0.0.1:5000/library/busybox:nope not found: manifest unknown"
	image_absent 127.0.0.1:5000/library/busybox:nope
}

@test "pull of an unknown repository on a direct registry: 'repository ... not found', as dockerd" {
	# the registry answers 404 NAME_UNKNOWN; dockerd's notFoundError says
	# "repository <name> not found: name unknown: ..." for that code
	run dk pull "$FAKEREG/nope/x"
	assert_status 1
	assert_contains "$output" "name unknown: repository name not known to registry"
	assert_contains "$output" "repository $FAKEREG/nope/x not found"
	image_absent "$FAKEREG/nope/x:latest"
}

@test "pull by digest (blobs redirected): no tag, RepoDigests only" {
	local d id
	forget "$FAKEREG/ok/redirect" "$(fakereg_stats | jq -r '.digests.config["ok/redirect"]')"
	d=$(fakereg_stats | jq -r '.digests.manifest["ok/redirect"]')
	id=$(fakereg_stats | jq -r '.digests.config["ok/redirect"]')
	run dk pull "$FAKEREG/ok/redirect@$d"
	assert_status 0
	assert_contains "$output" "Status: Downloaded newer image for $FAKEREG/ok/redirect@$d"
	api GET "/images/$id/json"
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(json_c .RepoTags)" "[]" RepoTags
	assert_eq "$(json_c .RepoDigests)" "[\"$FAKEREG/ok/redirect@$d\"]" RepoDigests
	run dk images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}' "$FAKEREG/ok/redirect"
	assert_eq "$output" "$FAKEREG/ok/redirect <none> $d" "images --digests"
	# the layer landed where the image's chain says
	local dir
	dir=$(image_layer_dirs "$id")
	[ -x "$DATA/layers/$dir/diff/hello" ] || { echo "hello not unpacked in $dir" >&2; return 1; }
}

@test "two concurrent pulls of postgres:15 both succeed, one copy of each layer" {
	forget postgres:15
	local a b sa sb d
	a=$(mktemp "$E2E_TMP/pull-a.XXXXXX")
	b=$(mktemp "$E2E_TMP/pull-b.XXXXXX")
	timeout 300 "$DOCKER" -H "unix://$SOCK" pull postgres:15 >"$a" 2>&1 </dev/null 3>&- &
	local pa=$!
	timeout 300 "$DOCKER" -H "unix://$SOCK" pull postgres:15 >"$b" 2>&1 </dev/null 3>&- &
	local pb=$!
	sa=0 sb=0
	wait "$pa" || sa=$?
	wait "$pb" || sb=$?
	assert_eq "$sa" 0 "status of the first pull ($(tail -n 1 "$a"))"
	assert_eq "$sb" 0 "status of the second pull ($(tail -n 1 "$b"))"
	assert_eq "$(tail -n 1 "$a")" "docker.io/library/postgres:15" "first pull"
	assert_eq "$(tail -n 1 "$b")" "docker.io/library/postgres:15" "second pull"
	for d in $(image_layer_dirs postgres:15); do
		[ -d "$DATA/layers/$d/diff" ] || { echo "layer dir $d missing" >&2; return 1; }
	done
	wait_for 10 tmp_empty || { echo "$DATA/tmp not empty:" >&2; ls -la "$DATA/tmp" >&2; return 1; }
	assert_eq "$(dk images -q postgres:15 | wc -l)" 1 "postgres:15 images"
}

@test "images and their layers survive a daemon restart" {
	ensure_pulled busybox redis:7
	local before after
	before=$(dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
	stop_daemon
	start_env_daemon
	after=$(dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
	assert_eq "$after" "$before" "images after a restart"
	run dk pull busybox
	assert_status 0
	assert_contains "$output" "Image is up to date for busybox:latest"
}
