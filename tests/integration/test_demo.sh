#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo's script runs to its end, and leaves nothing behind: also when interrupted.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."

leftovers() {
	{
		ip netns list | grep -o 'fl-demo-[a-z]*-[0-9a-f]*'
		ip -o link show | grep -o 'fl-d[0-9a-f]*-[ab]'
		ls -d /tmp/faultline-demo.* 2>/dev/null
	} | sort -u
}
before=$(leftovers)

out=$(BUILD=$BUILD scripts/demo.sh 2>&1); rc=$?
check "demo exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "demo reached the abort verdict" grep -q "verdict aborted: safety rule 'web: 3 consecutive failures'" <<<"$out"
check "demo rolled the pause back" grep -q "fault pause-web reverted" <<<"$out"
check "demo recovered" grep -q "time to recover" <<<"$out"
check "demo: 10% loss was tolerated" grep -q "verdict passed" <<<"$out"
check "demo: the partition tripped the rule" grep -q "fault partition reverted" <<<"$out"
check "demo: no tc filter left on the client's interface" grep -q "tc filters left on demo0: 0" <<<"$out"
report=$(sed -n 's/^demo: HTML report of the partition run: //p' <<<"$out")
check "demo: HTML report written ($report)" grep -q '<svg' "${report:-/nonexistent}"
rm -f "$report"
pid=$(sed -n 's/^web server pid \([0-9]*\) state.*/\1/p' <<<"$out")
check "demo's web server was running after the run" grep -q "state: S" <<<"$out"
check "demo's web server is gone" is_gone "${pid:-0}"
check "demo left nothing behind" [ "$(leftovers)" = "$before" ]

# Ctrl-C in the middle of the fault: the whole process group gets SIGINT, as from a terminal.
setsid env BUILD="$BUILD" scripts/demo.sh >"$T/demo.out" 2>&1 &
demo=$!
track "$demo"
wait_for 20 grep -q "fault pause-web active" "$T/demo.out"
kill -INT -- -"$demo"
wait "$demo"; rc=$?
check "interrupted demo exits non-zero (got $rc)" [ "$rc" -ne 0 ]
check "interrupted demo left nothing behind" [ "$(leftovers)" = "$before" ]
check "no stopped busybox left" [ -z "$(ps -eo stat,args | awk '$1 ~ /^T/ && /busybox httpd -f -p 10\.77\.0\.1/')" ]
agent=$(sed -n 's/^faultlined pid \([0-9]*\),.*/\1/p' "$T/demo.out")
web=$(sed -n 's/.*web server pid \([0-9]*\)$/\1/p' "$T/demo.out")
check "interrupted demo's agent ($agent) is gone" is_gone "${agent:-0}"
check "interrupted demo's web server ($web) is gone" is_gone "${web:-0}"
check "pids were printed" [ -n "$agent" ] && [ -n "$web" ]
t_finish
