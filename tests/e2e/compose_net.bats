#!/usr/bin/env bats
# docker-compose (v1, the real client) over berth's networks, embedded DNS
# and volumes (issue 5): a project's default network, services reaching
# each other by service name and by alias, a named volume that outlives
# `down` and goes with `down -v`, a read-only bind of the project dir.
#
# Traffic goes only to containers on the project's network.

bats_require_minimum_version 1.5.0

load helpers
load images_helpers
load containers_helpers

setup_file() { ctr_setup_file; }
teardown_file() { ctr_teardown_file; }
setup() {
	ctr_setup
	command -v docker-compose >/dev/null || skip "docker-compose (v1) is not installed"
}
teardown() {
	[ ! -f "${T:-}/docker-compose.yml" ] ||
		(cd "$T" && timeout 60 docker-compose -p "$CT_PREFIX" down -v >/dev/null 2>&1) || true
	ctr_teardown
}

# dc ARGS...: docker-compose on this test's project, against our daemon.
dc() { (cd "$T" && DOCKER_HOST=unix://$SOCK timeout 120 docker-compose -p "$CT_PREFIX" "$@"); }

@test "compose: services reach each other by name and alias; a named volume keeps data until down -v" {
	ensure_image redis:7
	mkdir -p "$T/conf"
	echo from-host >"$T/conf/hello"
	cat >"$T/docker-compose.yml" <<'YML'
version: "3.8"
services:
  cache:
    image: redis:7
    volumes:
      - cachedata:/data
  app:
    image: busybox
    command: sleep 300
    depends_on: [cache]
    networks:
      default:
        aliases: [app-alias]
    volumes:
      - ./conf:/conf:ro
volumes:
  cachedata:
YML
	run dc up -d
	assert_status 0
	wait_log "${CT_PREFIX}_cache_1" "Ready to accept connections"
	run dc exec -T app sh -c "printf 'SET k compose-ok\r\nGET k\r\nSAVE\r\n' | nc -w 2 cache 6379"
	assert_contains "$output" "compose-ok"
	run dc exec -T cache sh -c 'getent hosts app-alias; getent hosts app'
	assert_status 0
	assert_match "$output" '^[0-9.]+ +app-alias' "the alias resolves"
	run dc exec -T app sh -c 'cat /conf/hello; echo x > /conf/new'
	assert_contains "$output" "from-host"
	assert_contains "$output" "Read-only file system"
	# down keeps the named volume; up again finds the data
	dc down >/dev/null 2>&1
	run dk volume ls -q
	assert_contains "$output" "${CT_PREFIX}_cachedata"
	dc up -d >/dev/null 2>&1
	wait_log "${CT_PREFIX}_cache_1" "Ready to accept connections"
	run dc exec -T app sh -c "printf 'GET k\r\n' | nc -w 2 cache 6379"
	assert_contains "$output" "compose-ok"
	run dc down -v
	assert_status 0
	run dk volume ls -q
	assert_not_contains "$output" "${CT_PREFIX}_cachedata"
	run dk network ls -q --filter "name=${CT_PREFIX}_default"
	assert_eq "$output" "" "the project's network is gone"
}
