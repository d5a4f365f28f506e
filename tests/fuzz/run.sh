#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every libFuzzer harness for FUZZ_TIME seconds (default 30) on a copy of its seed corpus.
# A crash, leak, UB report or hang fails it; ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
time=${FUZZ_TIME:-30}
work=$(mktemp -d /tmp/faultline-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
for bin in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	mkdir -p "$work/$name"
	cp -r "tests/fuzz/$name/." "$work/$name/" 2>/dev/null
	if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		"$bin" -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$work/" -print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1; then
		echo "ok - fuzz $name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$') inputs in ${time}s"
		passed=$((passed + 1))
	else
		echo "not ok - fuzz $name; its log:"
		tail -n 60 "$work/$name.log"
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -e "$a" ] && { echo "reproducer $a:"; od -c "$a" | head -n 20; }
		done
		failed=$((failed + 1))
	fi
done
[ $((passed + failed)) -gt 0 ] || { echo "no fuzz harness built"; failed=1; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
