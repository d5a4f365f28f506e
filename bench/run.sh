#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: every benchmark section, then the table.  Usage:
#   bench/run.sh [SECTION...]     default: all, in the order below
#   BENCH_QUICK=1                 fewer runs and shorter windows (a look while developing;
#                                 the numbers are not the ones docs/benchmarks.md quotes)
#   BENCH_DOCS=1                  after a full run of every section, put its table into
#                                 docs/benchmarks.md (between the results markers)
# Each section is bench/SECTION.sh; it writes build/bench/SECTION.json (bench/lib.sh).  The
# table is printed and written to build/bench/results.md; build/bench/results.json holds
# everything.  Nothing here passes or fails on a number: the exit status is not zero only
# when a section could not run at all.
cd "$(dirname "$0")/.." || exit 1
ALL=(latency abort packets fidelity footprint vm)
FULL=1
[ $# -gt 0 ] && ALL=("$@") FULL=
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
# BENCH_DOCS=1: the table in docs/benchmarks.md becomes this run's (a full run only).
if [ -n "${BENCH_DOCS:-}" ] && [ -n "$FULL" ] && [ $rc -eq 0 ] && [ -z "${BENCH_QUICK:-}" ]; then
	python3 - docs/benchmarks.md "$BENCH_OUT/results.md" <<'PY' || rc=1
import sys
doc, res = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
b, e = "<!-- results:begin -->\n", "<!-- results:end -->"
i, j = text.index(b) + len(b), text.index(e)
open(doc, "w").write(text[:i] + res + text[j:])
PY
	echo "bench: docs/benchmarks.md now holds this run's table" >&2
fi
exit $rc
