#!/usr/bin/env bats
# Our CLI, `berth`, against a daemon: version, info, system df, events,
# --format, -H / DOCKER_HOST, help and errors.

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

@test "berth: version shows Client and Server" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" version
	assert_status 0
	assert_contains "$output" "Client:"
	assert_contains "$output" "Server:"
	assert_match "$output" "API version:[[:space:]]+$API_MAX"
}

@test "berth: version --format '{{json .}}' is valid JSON with both sides" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" version --format '{{json .}}'
	assert_status 0
	jq -e '(.Client | type == "object") and (.Server | type == "object")' <<<"$output" >/dev/null ||
		{ echo "not JSON with Client and Server: $output" >&2; false; }
	assert_eq "$(jq -r .Server.ApiVersion <<<"$output")" "$API_MAX" ".Server.ApiVersion"
}

@test "berth: version --format '{{.Server.ApiVersion}}' prints $API_MAX" {
	# The JSON key; docker's own templates spell the field APIVersion
	# (tested below), berth accepts both.
	run timeout 30 "$BERTH" -H "unix://$SOCK" version --format '{{.Server.ApiVersion}}'
	assert_status 0
	assert_eq "$output" "$API_MAX"
}

@test "berth: version --format field access like docker's" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" version --format '{{.Server.Os}}/{{.Server.Arch}} {{.Server.KernelVersion}}'
	assert_status 0
	assert_eq "$output" "linux/$(go_arch) $(uname -r)"
	# docker's template name for the server's API version is APIVersion.
	run timeout 30 "$BERTH" -H "unix://$SOCK" version --format '{{.Server.APIVersion}}'
	assert_status 0
	assert_eq "$output" "$API_MAX"
}

@test "berth: info prints the server section" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" info
	assert_status 0
	assert_contains "$output" "Server:"
	assert_contains "$output" "Docker Root Dir: $DATA"
	assert_contains "$output" "CPUs: $(nproc)"
	assert_contains "$output" "Kernel Version: $(uname -r)"
	assert_not_contains "$output" "ERROR"
}

@test "berth: info --format" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" info --format '{{.NCPU}} {{.OSType}} {{.DockerRootDir}}'
	assert_status 0
	assert_eq "$output" "$(nproc) linux $DATA"
	run timeout 30 "$BERTH" -H "unix://$SOCK" info --format '{{json .}}'
	assert_status 0
	assert_eq "$(jq -r .NCPU <<<"$output")" "$(nproc)" "json .NCPU"
}

@test "berth: system df prints docker's table" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" system df
	assert_status 0
	assert_match "$output" 'TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE'
	assert_match "$output" 'Images +0 +0 +0B'
	assert_match "$output" 'Containers +0 +0 +0B'
	assert_match "$output" 'Local Volumes +0 +0 +0B'
	assert_match "$output" 'Build Cache +0 +0 +0B'
}

@test "berth: system df matches docker system df" {
	local ours theirs
	ours=$(timeout 30 "$BERTH" -H "unix://$SOCK" system df)
	theirs=$(timeout 30 "$DOCKER" -H "unix://$SOCK" system df)
	assert_eq "$ours" "$theirs" "system df output"
}

@test "berth: system df --format '{{json .}}' prints one JSON line per type" {
	run timeout 30 "$BERTH" -H "unix://$SOCK" system df --format '{{json .}}'
	assert_status 0
	assert_eq "$(jq -sr 'map(.Type) | join(",")' <<<"$output")" "Images,Containers,Local Volumes,Build Cache" types
}

@test "berth: events --since 0 --until 1 returns" {
	run timeout 10 "$BERTH" -H "unix://$SOCK" events --since 0 --until 1
	assert_status 0
	assert_eq "$output" ""
}

@test "berth: --host= and -H forms" {
	run timeout 30 "$BERTH" --host "unix://$SOCK" version --format '{{.Server.KernelVersion}}'
	assert_status 0
	assert_eq "$output" "$(uname -r)"
	run timeout 30 "$BERTH" --host="unix://$SOCK" version --format '{{.Server.KernelVersion}}'
	assert_status 0
	assert_eq "$output" "$(uname -r)"
}

@test "berth: DOCKER_HOST is honoured" {
	run env DOCKER_HOST="unix://$SOCK" timeout 30 "$BERTH" version --format '{{.Server.KernelVersion}}'
	assert_status 0
	assert_eq "$output" "$(uname -r)"
}

@test "berth: -H wins over DOCKER_HOST" {
	run env DOCKER_HOST="unix://$E2E_TMP/nowhere.sock" timeout 30 "$BERTH" -H "unix://$SOCK" version --format '{{.Server.KernelVersion}}'
	assert_status 0
	assert_eq "$output" "$(uname -r)"
}

@test "berth: no daemon at the address is a clear error" {
	run env -u DOCKER_HOST timeout 30 "$BERTH" -H "unix://$E2E_TMP/nowhere.sock" info
	assert_failure
	assert_contains "$output" "$E2E_TMP/nowhere.sock"
}

@test "berth: version without a daemon prints the Client section and fails" {
	run timeout 30 "$BERTH" -H "unix://$E2E_TMP/nowhere.sock" version
	assert_failure
	assert_contains "$output" "Client:"
}

@test "berth: --help lists the commands that exist" {
	run timeout 10 "$BERTH" --help
	assert_status 0
	local c
	for c in version info events system daemon; do
		assert_match "$output" "(^|[[:space:]])$c([[:space:]]|$)" "command $c in --help"
	done
	assert_contains "$output" "--host"
}

@test "berth: COMMAND --help describes the command" {
	local c
	for c in version info events "system df"; do
		# shellcheck disable=SC2086
		run timeout 10 "$BERTH" $c --help
		assert_status 0
		assert_contains "$output" "Usage:" "$c --help"
	done
	run timeout 10 "$BERTH" version --help
	assert_contains "$output" "--format"
	run timeout 10 "$BERTH" events --help
	assert_contains "$output" "--since"
	assert_contains "$output" "--until"
	assert_contains "$output" "--filter"
}

@test "berth: an unknown command is an error" {
	run timeout 10 "$BERTH" -H "unix://$SOCK" frobnicate
	assert_failure
	assert_contains "$output" "unknown command"
	assert_contains "$output" "frobnicate"
}

@test "berth: an unknown flag is an error" {
	run timeout 10 "$BERTH" -H "unix://$SOCK" version --no-such-flag
	assert_failure
	assert_contains "$output" "no-such-flag"
}

@test "berth: a bad --format template is an error" {
	run timeout 10 "$BERTH" -H "unix://$SOCK" version --format '{{.Server.ApiVersion'
	assert_failure
	assert_contains "$output" "template"
}

go_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}
