#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The integration tests that exercise the agent hardest, again with faultlined and faultctl built
# with ASan+UBSan (build/san-bin, `make tests-build`): runner, state dir, socket, hostile input
# and clients, a short torture and a short soak.  Every sanitizer report (memory error, leak at
# exit, undefined behaviour) is written to a file of its own, and any such file fails the run.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1
SAN=$BUILD/san-bin
if [ ! -x "$SAN/faultlined" ] || [ ! -x "$SAN/faultctl" ]; then
	not_ok "no sanitizer build in $SAN (make tests-build)"
	t_finish
	exit 1
fi
mkdir -p "$T/reports"
export FAULTLINED=$SAN/faultlined FAULTCTL=$SAN/faultctl
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:log_path=$T/reports/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$T/reports/ubsan
export LSAN_OPTIONS=log_path=$T/reports/lsan
export TORTURE_N=${SAN_TORTURE_N:-10} SOAK_N=${SAN_SOAK_N:-200}
# Tests skip what a sanitizer build cannot show (resident memory bounds).
export FAULTLINE_SANITIZED=1

for t in runner statedir socket bad_input clients torture soak; do
	rm -f "$T/reports"/*
	timeout 900 bash "tests/integration/test_$t.sh" >"$T/$t.log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T/$t.log" | tail -n 1)
	reports=$(ls "$T/reports" 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ -z "$reports" ] && [ -n "$line" ]; then
		ok "$t under ASan+UBSan: $line, no sanitizer report"
		grep -E '^skip' "$T/$t.log" | sed 's/^/#   /'
	else
		not_ok "$t under ASan+UBSan: exit $rc, ${line:-no summary}"
		grep -E '^not ok' "$T/$t.log" | head -n 10
		for r in $reports; do
			echo "---- $r"
			head -n 40 "$T/reports/$r"
		done
	fi
done
t_finish
