# shellcheck shell=bash
# bench/berth.sh: start and stop a berth daemon beside the peers (sourced).
# Socket $BENCH_RUN/berth.sock, data root $BENCH_DATA/berth, the same
# fixture registry as the peers' docker.io mirror. BERTH_BUILD picks the
# build directory (default build; an optimised, non-sanitizer build).

BERTH_BUILD=${BERTH_BUILD:-build}
[[ $BERTH_BUILD = /* ]] || BERTH_BUILD=$BENCH_REPO/$BERTH_BUILD
BENCH_BERTH_SOCK=$BENCH_RUN/berth.sock
BENCH_BERTH_HOST=unix://$BENCH_BERTH_SOCK
BENCH_BERTH_PID=$BENCH_RUN/berth.pid

berth_bench_start() {
	[ -x "$BERTH_BUILD/berth" ] || bench_die "no $BERTH_BUILD/berth: run scripts/build first"
	mkdir -p "$BENCH_RUN" "$BENCH_DATA/berth" "$BENCH_LOGS"
	if bench_ping "$BENCH_BERTH_SOCK"; then
		return 0
	fi
	setsid "$BERTH_BUILD/berth" daemon --host "$BENCH_BERTH_HOST" \
		--data-root "$BENCH_DATA/berth" --exec-root "$BENCH_RUN/berth-exec" \
		--pidfile "$BENCH_BERTH_PID" --registry-mirror "http://$BENCH_REGISTRY" \
		--config-file /dev/null >>"$BENCH_LOGS/berth.log" 2>&1 </dev/null &
	local pid=$! i
	for ((i = 0; i < 200; i++)); do
		bench_ping "$BENCH_BERTH_SOCK" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	bench_die "berth did not start (see $BENCH_LOGS/berth.log)"
}

berth_bench_stop() {
	bench_stop_pid "$BENCH_BERTH_PID" berth 20
}

# median of the numbers on stdin
bench_median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# milliseconds a command takes
bench_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || return 1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
