# shellcheck shell=bash
# tests/e2e/networks_helpers.bash: what the network and DNS tests share.
# Load after helpers, images_helpers and containers_helpers.

setup_file() { ctr_setup_file; }
teardown_file() { ctr_teardown_file; }
setup() { ctr_setup; }
teardown() {
	local n nets=() rc=0
	[ ! -f "${T:-}/networks" ] || mapfile -t nets <"$T/networks"
	ctr_teardown || rc=1
	for n in "${nets[@]}"; do
		dk network rm "$n" >/dev/null 2>&1 || true
	done
	return $rc
}

# nname [TAG]: a network name unique to this test, removed in teardown
# after its containers.
nname() {
	local n=$CT_PREFIX-${1:-net}
	echo "$n" >>"$T/networks"
	echo "$n"
}
