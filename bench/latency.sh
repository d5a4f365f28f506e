#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, section 1: how long a network fault takes to put in place and to take away,
# faultline's mechanism (netlink + eBPF, bench/netlat.c calling the network fault's apply and
# revert) against the tc-exec sequence the peers run for the same fault, on this host's
# kernel (the bpf engine; the netem engine's numbers come from bench/vm.sh).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
. bench/lib.sh
RUNS=$(count 200 20)
NETLAT=$BUILD/../build/bench-bin/netlat
NETLAT=$(cd "$(dirname "$NETLAT")" && pwd)/netlat

bench_begin latency "Network fault apply and revert latency"
method "One loss fault (10%, egress, destinations: 1 or 100 CIDRs) on one end of a veth pair in a \
namespace of the benchmark's own, applied and reverted $RUNS times in a row. faultline: the \
network fault's own apply() and revert() (bench/netlat.c; engine bpf: the classifier loaded, \
its maps filled and attached, by tcx or by cls_bpf over netlink), timed in the process; the \
target is resolved before the clock starts, as the agent does at preflight, and the journal \
write that precedes an apply in the agent is not included (section 2 includes everything). \
Peer: the tc commands chaosd, Chaos Mesh and ChaosBlade run for the same fault, each a new \
process inside the namespace: a root qdisc, a child for the impairment, one u32 filter per \
destination; revert is one \"tc qdisc del dev X root\". Timed from bash (EPOCHREALTIME), \
which adds no process of its own."

NS=fl-bench-$$
ip netns add "$NS" || exit 1
echo "# namespace $NS" >&2
on_exit "ip netns del $NS"
ip -n "$NS" link add flb0 type veth peer name flb1 || exit 1
ip -n "$NS" link set flb0 up && ip -n "$NS" link set flb1 up || exit 1

# cidrs N: N distinct /24s (never the host's addresses: the namespace has no route out).
cidrs() { local i; for ((i = 0; i < $1; i++)); do echo "198.$((18 + i / 256)).$((i % 256)).0/24"; done; }
experiment() { # N
	local list
	list=$(cidrs "$1" | sed 's/.*/"&"/' | paste -sd,)
	printf '{"version":1,"title":"bench","faults":[{"name":"lat","type":"network","target":{"interface":"flb0","netns":"%s","direction":"egress","destinations":[%s]},"engine":"bpf","loss":10,"duration":"1m"}]}\n' "$NS" "$list" >"$T/exp-$1.json"
}

# The peers' sequence.  This kernel has neither prio nor netem: an htb root and an htb class
# stand in for "prio" and its netem child (two tc processes, as theirs), the u32 filters are
# theirs.
peer_apply() { # N
	tc qdisc add dev flb0 root handle 1: htb default 3 || return 1
	tc class add dev flb0 parent 1: classid 1:3 htb rate 10gbit 2>/dev/null || return 1
	local c
	for c in $(cidrs "$1"); do
		tc filter add dev flb0 parent 1: protocol ip prio 4 u32 match ip dst "$c" flowid 1:3 || return 1
	done
}
peer_revert() { tc qdisc del dev flb0 root; }
peer_loop() { # N RUNS APPLY_OUT REVERT_OUT
	local i t0 t1 t2
	for ((i = 0; i < $2; i++)); do
		t0=$EPOCHREALTIME
		peer_apply "$1" || return 1
		t1=$EPOCHREALTIME
		peer_revert || return 1
		t2=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{ printf "%.4f\n", ($2 - $1) * 1000 }' >>"$3"
		echo "$t1 $t2" | awk '{ printf "%.4f\n", ($2 - $1) * 1000 }' >>"$4"
	done
}
export -f peer_apply peer_revert peer_loop cidrs

declare -A P50 P99 N
measure() { # FILE-KEY: fills P50[KEY], P99[KEY], N[KEY] from $T/KEY
	local p50 p99 cnt
	read -r p50 p99 _ _ _ cnt < <(stats "$T/$1")
	P50[$1]=$p50 P99[$1]=$p99 N[$1]=$cnt
}
# cold: plan + apply of each round, from the two files of faultline's side
cold() { paste "$T/$1-plan" "$T/$1-apply" | awk '{ printf "%.4f\n", $1 + $2 }' >"$T/$1-cold"; }
for n in 1 100; do
	experiment "$n"
	# Interleaved in blocks, so that a noisy spell of the machine hits every side.
	blocks=10
	per=$(( (RUNS + blocks - 1) / blocks ))
	for ((b = 0; b < blocks; b++)); do
		for k in fl:tcx nl:netlink; do
			FAULTLINE_TC_ATTACH=${k#*:} "$NETLAT" "$T/exp-$n.json" "$per" "$T/${k%:*}-$n-apply" \
				"$T/${k%:*}-$n-revert" "$T/${k%:*}-$n-plan" || exit 1
		done
		ip netns exec "$NS" bash -c "peer_loop $n $per '$T/tc-$n-apply' '$T/tc-$n-revert'" || exit 1
	done
	for k in fl nl; do cold "$k-$n"; done
	for k in fl nl tc; do
		for what in apply revert cold; do
			[ -f "$T/$k-$n-$what" ] && measure "$k-$n-$what"
		done
	done
	label="$n CIDR"
	[ "$n" -gt 1 ] && label+="s"
	for what in apply revert cold; do
		peer=$what
		[ "$what" = cold ] && peer=apply
		for p in 50 99; do
			declare -n arr=P$p
			for k in nl fl; do
				att="cls_bpf (netlink)"
				[ "$k" = fl ] && att="tcx"
				name=$what
				[ "$what" = cold ] && name="plan + apply"
				row label="$name, $label, p$p, $att" unit=ms faultline="${arr[$k-$n-$what]}" \
					peer="${arr[tc-$n-$peer]}" peer_name="tc exec" better=lower n="${N[$k-$n-$what]}"
			done
			unset -n arr
		done
	done
done
note "This kernel has no prio and no netem qdisc: the peers' sequence here uses an htb root and \
an htb class in their place (the same number of tc processes and netlink round trips); \
bench/vm.sh runs their exact sequence, prio and netem, against faultline's netem engine."
note "apply is the moment the fault starts: the classifier was loaded at preflight (plan), so \
apply only attaches it. 'plan + apply' is the whole cost from nothing, against the same tc \
sequence. cls_bpf over netlink is the default; tcx (FAULTLINE_TC_ATTACH=tcx) has a link that \
dies with the agent (a SIGKILLed agent leaves no fault behind), but its attach and detach each \
wait for the kernel's RCU grace periods, which is the difference to cls_bpf."

# ratios ATTACH-KEY: "apply/1: 12x; ..." in TXT, MET=false when one is under 10x.
ratios() {
	local n what r
	TXT= MET=true
	for n in 1 100; do
		for what in apply revert; do
			r=$(awk -v a="${P50[$1-$n-$what]}" -v b="${P50[tc-$n-$what]}" 'BEGIN { printf "%.1f", b / a }')
			awk -v r="$r" 'BEGIN { exit !(r < 10) }' && MET=false
			TXT+="$what/$n: ${r}x; "
		done
	done
	TXT=${TXT%; }
}
ratios nl
goal "faultline at least 10x faster than tc exec (p50, cls_bpf)" "$TXT" "$MET"
ratios fl
goal "faultline at least 10x faster than tc exec (p50, tcx)" "$TXT" "$MET"
met=false
awk -v a="${P50[nl-1-revert]}" 'BEGIN { exit !(a < 1) }' && met=true
goal "revert under 1 ms p50, one interface (cls_bpf)" "${P50[nl-1-revert]} ms" "$met"
met=false
awk -v a="${P50[fl-1-revert]}" 'BEGIN { exit !(a < 1) }' && met=true
goal "revert under 1 ms p50, one interface (tcx)" "${P50[fl-1-revert]} ms" "$met"
bench_end
