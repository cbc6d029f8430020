#!/usr/bin/env bats
# The Engine API basics through curl, the real docker CLI and the Python SDK:
# versioning, errors, /_ping, /version, /info, /system/df.

load helpers

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

# ------------------------------------------------------------------ versions
@test "api: /v1.99/version is 400 with docker's too-new message" {
	api GET /v1.99/version
	assert_eq "$HTTP_STATUS" 400 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(json_get .message)" \
		"client version 1.99 is too new. Maximum supported API version is $API_MAX" message
}

@test "api: one minor above the maximum is too new" {
	local v=1.$((${API_MAX#1.} + 1))
	api GET "/v$v/version"
	assert_eq "$HTTP_STATUS" 400 status
	assert_eq "$(json_get .message)" \
		"client version $v is too new. Maximum supported API version is $API_MAX" message
}

@test "api: /v1.12/version is 400 with docker's too-old message" {
	api GET /v1.12/version
	assert_eq "$HTTP_STATUS" 400 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(json_get .message)" \
		"client version 1.12 is too old. Minimum supported API version is $API_MIN, please upgrade your client to a newer version" message
}

@test "api: one minor below the minimum is too old" {
	local v=1.$((${API_MIN#1.} - 1))
	api GET "/v$v/version"
	assert_eq "$HTTP_STATUS" 400 status
	assert_contains "$(json_get .message)" "client version $v is too old"
}

@test "api: every version from the minimum (1.24) to the maximum is served" {
	local v minor bad=()
	for minor in $(seq "${API_MIN#1.}" "${API_MAX#1.}"); do
		v=1.$minor
		api GET "/v$v/version"
		[ "$HTTP_STATUS" = 200 ] || bad+=("$v:$HTTP_STATUS")
		api GET "/v$v/_ping"
		[ "$HTTP_STATUS" = 200 ] || bad+=("$v/_ping:$HTTP_STATUS")
	done
	assert_eq "${bad[*]}" "" "versions not answered 200"
}

@test "api: unversioned /version is the maximum API version" {
	api GET /version
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(json_get .ApiVersion)" "$API_MAX" ApiVersion
	assert_eq "$(json_get .MinAPIVersion)" "$API_MIN" MinAPIVersion
}

@test "api: /version has docker's fields with real values" {
	api GET /v1.24/version
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(json_get .Os)" linux Os
	assert_eq "$(json_get .Arch)" "$(go_arch)" Arch
	assert_eq "$(json_get .KernelVersion)" "$(uname -r)" KernelVersion
	assert_match "$(json_get .Version)" '^[0-9]+\.[0-9]+' Version
	assert_match "$(json_get .GitCommit)" '.' GitCommit
	# Not a Go program: GoVersion may be empty, but the key is there.
	assert_eq "$(json_get '.GoVersion | type')" string "GoVersion type"
	assert_match "$(json_get .BuildTime)" '.' BuildTime
	# The docker CLI prints the Server section from Components.
	assert_eq "$(json_get '.Components[0].Name')" Engine "Components[0].Name"
	assert_eq "$(json_get '.Components[0].Version')" "$(json_get .Version)" "Components[0].Version"
	assert_eq "$(json_get '.Components[0].Details.ApiVersion')" "$API_MAX" "Components[0].Details.ApiVersion"
}

# ------------------------------------------------------------------ errors
@test "api: unknown path is 404 JSON naming the path" {
	api GET /nope
	assert_eq "$HTTP_STATUS" 404 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	jq -e 'has("message") and (.message | type == "string")' <<<"$HTTP_BODY" >/dev/null ||
		{ echo "body is not {\"message\": string}: $HTTP_BODY" >&2; false; }
	assert_contains "$(json_get .message)" /nope message
}

@test "api: unknown versioned path is 404 JSON" {
	api GET /v1.47/nope/deeper
	assert_eq "$HTTP_STATUS" 404 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_contains "$(json_get .message)" nope message
}

@test "api: every response carries Api-Version and Server: berth/..." {
	local p
	for p in /_ping /version /info /system/df /nope /v1.99/version; do
		api GET "$p"
		assert_eq "$(header Api-Version)" "$API_MAX" "Api-Version on $p"
		assert_match "$(header Server)" '^berth/[0-9]' "Server on $p"
	done
	api HEAD /_ping
	assert_eq "$(header Api-Version)" "$API_MAX" "Api-Version on HEAD /_ping"
	assert_match "$(header Server)" '^berth/' "Server on HEAD /_ping"
}

# ------------------------------------------------------------------ /_ping
@test "api: HEAD /_ping is 200 with docker's headers and no body" {
	api HEAD /_ping
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(header Api-Version)" "$API_MAX" Api-Version
	assert_eq "$(header Ostype)" linux Ostype
	assert_match "$(header Docker-Experimental)" '^(true|false)$' Docker-Experimental
	assert_match "$(header Builder-Version)" '^[12]$' Builder-Version
	assert_eq "$(header Swarm)" inactive Swarm
	assert_eq "$(header Cache-Control)" "no-cache, no-store, must-revalidate" Cache-Control
	assert_eq "$(header Pragma)" no-cache Pragma
	# No body bytes on the wire: a GET after the HEAD on the same
	# connection must parse as the next response.
	run python3 "$HELPERS/rawhttp.py" --timeout 20 "$SOCK" headping
	assert_status 0
	assert_match "$output" '^head=200 .* get=200 get_body=OK$' "HEAD then GET on one connection"
}

@test "api: GET /_ping answers OK with the same headers" {
	api GET /_ping
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$HTTP_BODY" OK body
	assert_eq "$(header Api-Version)" "$API_MAX" Api-Version
	assert_eq "$(header Ostype)" linux Ostype
	assert_eq "$(header Swarm)" inactive Swarm
	assert_eq "$(header Cache-Control)" "no-cache, no-store, must-revalidate" Cache-Control
	assert_eq "$(header Pragma)" no-cache Pragma
	has_header Docker-Experimental || { echo "no Docker-Experimental header" >&2; false; }
	has_header Builder-Version || { echo "no Builder-Version header" >&2; false; }
}

@test "api: versioned /v1.24/_ping and /v1.47/_ping answer OK" {
	api GET /v1.24/_ping
	assert_eq "$HTTP_STATUS:$HTTP_BODY" "200:OK" "/v1.24/_ping"
	api GET /v$API_MAX/_ping
	assert_eq "$HTTP_STATUS:$HTTP_BODY" "200:OK" "/v$API_MAX/_ping"
}

# ------------------------------------------------------------------ /info
@test "api: /info reports the host's real figures" {
	api GET /info
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	assert_eq "$(json_get .NCPU)" "$(nproc)" NCPU
	local mem_kb
	mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	assert_eq "$(json_get .MemTotal)" "$((mem_kb * 1024))" MemTotal
	assert_eq "$(json_get .KernelVersion)" "$(uname -r)" KernelVersion
	assert_eq "$(json_get .OSType)" linux OSType
	assert_eq "$(json_get .Architecture)" "$(uname -m)" Architecture
	assert_eq "$(json_get .DockerRootDir)" "$DATA" DockerRootDir
	assert_eq "$(json_get .CgroupVersion)" "$(host_cgroup_version)" CgroupVersion
	assert_eq "$(json_get .Name)" "$(hostname)" Name
	# shellcheck disable=SC1091
	assert_eq "$(json_get .OperatingSystem)" "$(. /etc/os-release && echo "$PRETTY_NAME")" OperatingSystem
	assert_match "$(json_get .ID)" '.' ID
	assert_match "$(json_get .CgroupDriver)" '^(cgroupfs|systemd)$' CgroupDriver
	if [ ! -d /run/systemd/system ]; then
		assert_eq "$(json_get .CgroupDriver)" cgroupfs "CgroupDriver without systemd"
	fi
}

@test "api: /info counts an empty store as zero" {
	api GET /info
	assert_eq "$(json_get .Containers)" 0 Containers
	assert_eq "$(json_get .ContainersRunning)" 0 ContainersRunning
	assert_eq "$(json_get .ContainersPaused)" 0 ContainersPaused
	assert_eq "$(json_get .ContainersStopped)" 0 ContainersStopped
	assert_eq "$(json_get .Images)" 0 Images
}

@test "api: /info ServerVersion matches /version" {
	api GET /version
	local v
	v=$(json_get .Version)
	api GET /info
	assert_eq "$(json_get .ServerVersion)" "$v" ServerVersion
}

@test "api: /info RegistryConfig has docker's defaults" {
	api GET /info
	jq -e '.RegistryConfig | type == "object"' <<<"$HTTP_BODY" >/dev/null ||
		{ echo "no RegistryConfig object" >&2; false; }
	jq -e '.RegistryConfig.IndexConfigs["docker.io"].Official == true' <<<"$HTTP_BODY" >/dev/null ||
		{ echo "RegistryConfig.IndexConfigs[docker.io] missing: $(jq -c .RegistryConfig <<<"$HTTP_BODY")" >&2; false; }
	# dockerd always treats loopback as insecure.
	jq -e '.RegistryConfig.InsecureRegistryCIDRs | index("127.0.0.0/8") != null' <<<"$HTTP_BODY" >/dev/null ||
		{ echo "127.0.0.0/8 not in InsecureRegistryCIDRs: $(jq -c .RegistryConfig <<<"$HTTP_BODY")" >&2; false; }
}

# ------------------------------------------------------------------ /system/df
@test "api: /system/df of an empty store" {
	api GET /system/df
	assert_eq "$HTTP_STATUS" 200 status
	assert_eq "$(header Content-Type)" application/json Content-Type
	jq -e '(.LayersSize | type == "number") and (.Images == []) and (.Containers == [])
		and (.Volumes == []) and ((.BuildCache // []) == [])' <<<"$HTTP_BODY" >/dev/null ||
		{ echo "unexpected /system/df: $HTTP_BODY" >&2; false; }
}

# ------------------------------------------------------------------ docker CLI
@test "docker: version shows berth's Server section and API version" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" version
	assert_status 0
	assert_contains "$output" "Server:"
	assert_contains "$output" "Engine:"
	assert_match "$output" "API version:[[:space:]]+$API_MAX \\(minimum version $API_MIN\\)"
	assert_not_contains "$output" "Error"
}

@test "docker: version --format reads the server fields" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.APIVersion}} {{.Server.Os}} {{.Server.KernelVersion}}'
	assert_status 0
	assert_eq "$output" "$API_MAX linux $(uname -r)"
}

@test "docker: info prints without errors" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" info
	assert_status 0
	assert_contains "$output" "Server:"
	assert_contains "$output" "Docker Root Dir: $DATA"
	assert_contains "$output" "Kernel Version: $(uname -r)"
	assert_contains "$output" "CPUs: $(nproc)"
	assert_contains "$output" "Cgroup Version: $(host_cgroup_version)"
	assert_not_contains "$output" "ERROR"
	assert_not_contains "$output" "errors pretty printing info"
	assert_not_contains "$output" "Error response from daemon"
}

@test "docker: info --format '{{json .}}' is the /info document" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" info --format '{{json .}}'
	assert_status 0
	jq -e ".NCPU == $(nproc) and .OSType == \"linux\"" <<<"$output" >/dev/null ||
		{ echo "bad JSON: $output" >&2; false; }
}

@test "docker: system df prints without errors" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" system df
	assert_status 0
	assert_match "$output" 'TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE'
	assert_match "$output" 'Images +0 +0 +0B'
	assert_match "$output" 'Containers +0 +0 +0B'
	assert_match "$output" 'Local Volumes +0 +0 +0B'
	assert_match "$output" 'Build Cache +0 +0 +0B'
}

@test "docker: system df -v prints without errors" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" system df -v
	assert_status 0
	assert_contains "$output" "Images space usage:"
	assert_not_contains "$output" "Error"
}

@test "docker: inspect of an unknown container answers 404 No such container" {
	run timeout 30 "$DOCKER" -H "unix://$SOCK" inspect --type container does-not-exist
	assert_failure
	assert_contains "$output" "No such container: does-not-exist"
}

@test "docker: an old client version (DOCKER_API_VERSION=1.24) works" {
	run env DOCKER_API_VERSION=1.24 timeout 30 "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.APIVersion}}'
	assert_status 0
	assert_eq "$output" "$API_MAX"
	run env DOCKER_API_VERSION=1.24 timeout 30 "$DOCKER" -H "unix://$SOCK" info --format '{{.NCPU}}'
	assert_status 0
	assert_eq "$output" "$(nproc)"
}

# ------------------------------------------------------------------ Python SDK
@test "sdk: version(), ping(), info(), df()" {
	require_docker_sdk
	run py_sdk '
v = c.version()
assert v["ApiVersion"] == "'"$API_MAX"'", v
assert v["Os"] == "linux", v
assert c.ping() is True
i = c.info()
assert i["NCPU"] == '"$(nproc)"', i["NCPU"]
assert i["DockerRootDir"] == "'"$DATA"'", i["DockerRootDir"]
d = c.df()
assert d["Images"] == [] and d["Containers"] == [] and d["Volumes"] == [], d
assert isinstance(d["LayersSize"], int), d
print("sdk ok", c.api.api_version)
'
	assert_status 0
	assert_contains "$output" "sdk ok"
}

@test "sdk: the SDK negotiates the path prefix from /version" {
	require_docker_sdk
	run py_sdk '
c2 = docker.APIClient(base_url="unix://" + sys.argv[1], version="auto")
print(c2.api_version)
c3 = docker.APIClient(base_url="unix://" + sys.argv[1], version="1.24")
assert c3.version()["ApiVersion"] == "'"$API_MAX"'"
'
	assert_status 0
	assert_eq "$output" "$API_MAX"
}

@test "sdk: a version the daemon refuses raises APIError 400" {
	require_docker_sdk
	run py_sdk '
c2 = docker.APIClient(base_url="unix://" + sys.argv[1], version="1.99")
try:
    c2.version(api_version=True)
    print("no error")
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
'
	assert_status 0
	assert_eq "$output" "400 client version 1.99 is too new. Maximum supported API version is $API_MAX"
}

go_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	armv7l) echo arm ;;
	i?86) echo 386 ;;
	*) uname -m ;;
	esac
}
