# shellcheck shell=bash
# bundle.bash: OCI bundles from the busybox fixture, for the runtime and
# monitor tests (sourced with `load bundle`). Needs skopeo and umoci (which
# shared/fixtures/make-images installs) and the fixture registry or its OCI
# layouts in $FIXTURES_DIR.

FIXTURE_REGISTRY=${FIXTURE_REGISTRY:-127.0.0.1:5000}
FIXTURE_DIR=${FIXTURES_DIR:-/var/cache/berth-fixtures}

make_rootfs() { # DIR: the busybox image unpacked at DIR/rootfs (uses $T for scratch)
	local img=$T/img
	command -v skopeo >/dev/null && command -v umoci >/dev/null || return 1
	skopeo copy -q --src-tls-verify=false "docker://$FIXTURE_REGISTRY/library/busybox:latest" \
		"oci:$img:latest" 2>/dev/null ||
		skopeo copy -q "oci:$FIXTURE_DIR/oci/busybox:latest" "oci:$img:latest" 2>/dev/null ||
		return 1
	umoci unpack --image "$img:latest" "$1" >/dev/null 2>&1 || return 1
	rm -rf "$img"
}
