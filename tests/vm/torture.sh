#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The crash torture (scripts/torture.sh) on a kernel that has sch_netem, so that netem faults
# (IFB device, netem qdisc, the classifier that redirects to it) are killed at random instants
# and at every crash point along with the rest of the mix.  Run inside a VM by
# scripts/vm-test.sh (see tests/integration/test_netem_vm.sh) as root, from the project root.
#   tests/vm/torture.sh [N]    N rounds (default 8)
# The mix: netem and process pause (pause reaches every crash point); the bpf engine and the
# stressors have their rounds on the host, and one emulated CPU makes every round slow here.
# Every round holds a netem fault (TORTURE_ALWAYS), as does the control round.  The crash-point
# rounds start at a random point, so that short runs cover all of them over time; the seed
# line says which.  It fails, rather than quietly leaving netem out, when the
# kernel has no netem: that is this script's reason to exist.
cd "$(dirname "$0")/../.." || exit 1
if ! unshare -n tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
	echo "not ok - this kernel has sch_netem (the reason to run the torture in a VM)"
	echo "0 passed, 1 failed"
	exit 1
fi
export TORTURE_KINDS=${TORTURE_KINDS:-"netem pause"}
export TORTURE_ALWAYS=${TORTURE_ALWAYS:-netem}
export TORTURE_POINT_OFFSET=${TORTURE_POINT_OFFSET:-$((RANDOM % 11))}
echo "# TORTURE_POINT_OFFSET=$TORTURE_POINT_OFFSET"
exec scripts/torture.sh "${1:-8}"
