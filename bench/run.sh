#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: every benchmark section, then the table.  Usage:
#   bench/run.sh [SECTION...]     default: all, in the order below
#   BENCH_QUICK=1                 fewer runs and shorter windows (a look while developing;
#                                 the numbers are not the ones docs/benchmarks.md quotes)
# Each section is bench/SECTION.sh; it writes build/bench/SECTION.json (bench/lib.sh).  The
# table is printed and written to build/bench/results.md; build/bench/results.json holds
# everything.  Nothing here passes or fails on a number: the exit status is not zero only
# when a section could not run at all.
cd "$(dirname "$0")/.." || exit 1
ALL=(latency abort packets fidelity footprint vm)
[ $# -gt 0 ] && ALL=("$@")
export BENCH_OUT=${BENCH_OUT:-$PWD/build/bench}
mkdir -p "$BENCH_OUT"
rc=0
for s in "${ALL[@]}"; do
	[ -f "bench/$s.sh" ] || { echo "bench: no section '$s' (bench/$s.sh)" >&2; exit 2; }
	rm -f "$BENCH_OUT/$s.json"
	start=$SECONDS
	# Progress goes to stderr and to the section's log.
	bash "bench/$s.sh" 2>&1 | tee "$BENCH_OUT/$s.log" >&2
	if [ "${PIPESTATUS[0]}" -ne 0 ] || [ ! -s "$BENCH_OUT/$s.json" ]; then
		echo "bench: section $s failed; its log: $BENCH_OUT/$s.log" >&2
		rc=1
	fi
	echo "bench: section $s took $((SECONDS - start)) s" >&2
done
python3 bench/report.py "$BENCH_OUT" "${ALL[@]}" || rc=1
exit $rc
