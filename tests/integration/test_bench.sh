#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench's machinery, not its numbers (no number ever passes or fails): bench/report.py
# turns section files into results.json, the table and results.md, with ratios the right
# way round and a section that produced nothing reported as such; and one real section
# (latency, BENCH_QUICK) runs end to end here and leaves nothing behind.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. bench/lib.sh

# ---- the report, on sections made with bench/lib.sh ------------------------------------------
export BENCH_OUT=$T/out
bench_begin one "First section" 2>/dev/null
method "How it was measured."
row label="apply p50" unit=ms faultline=0.5 peer=5 peer_name="tc exec" better=lower n=200 2>/dev/null
row label="packets" unit=pps faultline=900 peer=300 peer_name="u32" better=higher n=5 2>/dev/null
row label="loss 10%" unit=% requested=10 faultline=9.9 2>/dev/null
goal "faster" "10x" true
note "a note" 2>/dev/null
bench_end
python3 bench/report.py "$BENCH_OUT" one missing >"$T/table" 2>&1
rc=$?
check "report: exits 1 when a section has no results (rc $rc)" [ "$rc" -eq 1 ]
check "report: lower-is-better ratio is peer/faultline (10.0x)" grep -qE '^apply p50 .* 10\.0x' "$T/table"
check "report: higher-is-better ratio is faultline/peer (3.00x)" grep -qE '^packets .* 3\.00x' "$T/table"
check "report: the requested column" grep -qE '^loss 10% +% +10 +9\.90' "$T/table"
check "report: goals and notes printed" bash -c "grep -q 'goal faster: 10x (met)' '$T/table' && grep -q 'note: a note' '$T/table'"
check "report: the missing section says so" grep -q 'no results' "$T/table"
valid() {
	python3 - "$BENCH_OUT/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert set(r["machine"]) >= {"kernel", "cpus", "cpu", "git", "date"}
one, missing = r["sections"]
assert one["id"] == "one" and len(one["rows"]) == 3 and one["rows"][0]["n"] == 200
assert one["goals"] == [{"goal": "faster", "measured": "10x", "met": True}]
assert missing["error"].startswith("no results")
PY
}
check "report: results.json holds the machine, the rows and the error" valid
check "report: results.md has a Markdown table" grep -q '^| measure | unit |' "$BENCH_OUT/results.md"
check "stats: p50 and p99 by nearest rank" \
	bash -c "seq 1 200 >'$T/s' && [ \"\$(. bench/lib.sh; stats '$T/s')\" = '100 198 100.5 1 200 200' ]"

# ---- one real section, quick ------------------------------------------------------------------
export BENCH_OUT=$T/real
BENCH_QUICK=1 bash bench/run.sh latency >"$T/real.out" 2>&1
rc=$?
check "latency section runs end to end (rc $rc)" [ "$rc" -eq 0 ]
has_rows() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
rows = [r for r in s["rows"] if isinstance(r.get("faultline"), (int, float)) and isinstance(r.get("peer"), (int, float))]
assert len(rows) >= 8, rows
' "$BENCH_OUT/latency.json"
}
check "latency section: numbers for both sides" has_rows
ns=$(sed -n 's/^# namespace //p' "$T/real.out")
check "latency section: its namespace ($ns) is gone" bash -c "[ -n '$ns' ] && ! ip netns list | grep -qw '$ns'"
[ "$rc" -eq 0 ] || tail -n 20 "$T/real.out"
t_finish
