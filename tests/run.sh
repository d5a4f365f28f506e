#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run faultline's tests and print one closing line: "N passed, N failed[, N skipped]".
#   tests/run.sh               everything
#   tests/run.sh unit          unit tests (plain and ASan+UBSan builds)
#   tests/run.sh integration   integration tests (root: real processes, sockets, namespaces)
#   tests/run.sh FILTER        only tests whose name contains FILTER
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
what=${1:-all}
passed=0 failed=0 skipped=0
failures=()
logdir=$(mktemp -d /tmp/faultline-tests.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# Counts from a test's output: cmocka's summary or a plain "N passed, N failed" line.
count() {
	local log=$1 name=$2 rc=$3 p=0 f=0 s=0 line
	line=$(grep -E '^(\w+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^(\w+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
	elif grep -q '^\[==========\]' "$log"; then
		p=$(awk '/^\[  PASSED  \]/ {n += $4} END {print n+0}' "$log")
		f=$(awk '/^\[  FAILED  \] [0-9]+ test/ {n += $4} END {print n+0}' "$log")
		s=$(awk '/^\[  SKIPPED \] [0-9]+ test/ {n += $4} END {print n+0}' "$log")
	fi
	s=${s:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or exited non-zero without saying why: that is a failure
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		f=1 # a test that ran nothing proves nothing
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		failures+=("$name")
		echo "---- $name failed (exit $rc); its output:"
		cat "$log"
		echo "----"
	fi
	printf '%-40s %4s passed, %s failed%s\n' "$name" "$p" "$f" \
		"$([ "$s" -ne 0 ] && echo ", $s skipped")"
}

run_one() {
	local name=$1
	shift
	local log="$logdir/${name//\//_}.log" rc
	if [ -n "${FILTER:-}" ] && [[ $name != *"$FILTER"* ]]; then
		return
	fi
	timeout --signal=TERM --kill-after=30 "${TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
	rc=$?
	count "$log" "$name" "$rc"
}

case $what in
all | unit | integration) ;;
*) FILTER=$what what=all ;;
esac

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
	for t in "$BUILD"/tests-san/test_*; do
		[ -x "$t" ] || continue
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
			run_one "asan/$(basename "$t")" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in tests/integration/test_*.sh; do
		[ -f "$t" ] || continue
		run_one "integration/$(basename "$t" .sh)" bash "$t"
	done
fi

echo
if [ ${#failures[@]} -ne 0 ]; then
	echo "failed: ${failures[*]}"
fi
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
