# SPDX-License-Identifier: MIT
# Shared by the benchmark sections (bench/*.sh, run by bench/run.sh, `make bench`).  Source
# tests/lib.sh first (temp dir $T, track/on_exit cleanup, start_agent, wait_for), then this.
# A section writes $BENCH_OUT/ID.json, which bench/report.py turns into the table:
#   bench_begin ID "Title"        start section ID
#   method "text"                 how it was measured (one paragraph; repeatable)
#   row key=value ...             one measurement; keys below
#   goal "goal" "measured" true|false|null
#   note "text"                   something the reader must know (a substitution, a skip)
#   bench_end                     write $BENCH_OUT/ID.json
# Row keys (all optional but label): label, unit, faultline, peer, peer_name, better
# (lower|higher: which way faultline's number is good, so the report can give the ratio),
# requested (fidelity rows), n (samples), p50/p99-style rows use label to say which.
# Values that look like numbers are stored as numbers.  Nothing here passes or fails:
# a benchmark only measures.
BENCH_OUT=${BENCH_OUT:-build/bench}
BENCH_QUICK=${BENCH_QUICK:-}

bench_begin() {
	BENCH_ID=$1
	mkdir -p "$BENCH_OUT"
	BENCH_PARTS=$T/bench-$1
	mkdir -p "$BENCH_PARTS"
	: >"$BENCH_PARTS/rows" && : >"$BENCH_PARTS/goals" && : >"$BENCH_PARTS/notes" &&
		: >"$BENCH_PARTS/method"
	printf '%s\n' "$2" >"$BENCH_PARTS/title"
	echo "# bench $1: $2" >&2
}

_bench_json() { python3 "$(dirname "${BASH_SOURCE[0]}")/jsonl.py" "$@"; }
row() {
	_bench_json row "$@" >>"$BENCH_PARTS/rows"
	echo "#   $*" >&2
}
goal() { _bench_json goal "goal=$1" "measured=$2" "met=$3" >>"$BENCH_PARTS/goals"; }
note() {
	_bench_json note "text=$1" >>"$BENCH_PARTS/notes"
	echo "#   note: $1" >&2
}
method() { printf '%s\n' "$1" >>"$BENCH_PARTS/method"; }
bench_end() { _bench_json section "$BENCH_PARTS" "$BENCH_ID" >"$BENCH_OUT/$BENCH_ID.json"; }

# stats FILE: "p50 p99 mean min max n" of the numbers in FILE, one per line (nearest rank).
stats() {
	sort -g "$1" | awk '{ v[NR] = $1; s += $1 }
	END {
		if (NR == 0) { print "null null null null null 0"; exit }
		i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
		if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
		printf "%.6g %.6g %.6g %.6g %.6g %d\n", v[i50], v[i99], s / NR, v[1], v[NR], NR
	}'
}
# pctl FILE P: the Pth percentile (nearest rank) of FILE's numbers.
pctl() {
	sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (!NR) { print "null"; exit }
		i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; printf "%.6g\n", v[i] }'
}
# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.6g\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now_ns() { date +%s%N; }
# count N QUICK: N, or QUICK when BENCH_QUICK is set (a fast look while developing).
count() { if [ -n "$BENCH_QUICK" ]; then echo "$2"; else echo "$1"; fi; }
