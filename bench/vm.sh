#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, section "vm": the netem engine, on a kernel that has netem (this host's does
# not): scripts/vm-test.sh boots Debian's stock kernel and runs bench/vm-inner.sh, which
# measures apply and revert latency against the peers' exact tc sequence (prio, netem, u32)
# and delay fidelity.  The VM's writes stay inside it, so the inner script prints its section
# file between two marker lines, and this script keeps it as build/bench/vm.json.
cd "$(dirname "$0")/.." || exit 1
BENCH_OUT=${BENCH_OUT:-build/bench}
mkdir -p "$BENCH_OUT"
out=$BENCH_OUT/vm.out
# The VM's environment is cleared; the count goes as an argument.
scripts/vm-test.sh --timeout "${BENCH_VM_TIMEOUT:-2400}" bench/vm-inner.sh "${BENCH_QUICK:-}" >"$out"
rc=$?
grep -v '^@@' "$out" | sed -n '/^#/p' >&2
if [ $rc -ne 0 ]; then
	echo "bench vm: the VM run failed (exit $rc; 124: timeout, 125: the VM could not run)" >&2
	tail -n 30 "$out" >&2
	exit 1
fi
sed -n '/^@@ vm.json begin$/,/^@@ vm.json end$/p' "$out" | sed '1d;$d' >"$BENCH_OUT/vm.json"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$BENCH_OUT/vm.json" || {
	echo "bench vm: no section file in the VM's output" >&2
	exit 1
}
