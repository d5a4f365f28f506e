#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The netem part of make bench, inside the VM (bench/vm.sh starts it; argument: BENCH_QUICK).
# Two namespaces and a veth pair (tests/netlib.sh).
#  - apply/revert latency: faultline's netem engine (bench/netlat.c: classifier, IFB device,
#    netem on it, cls_bpf filter with a mirred action) against the sequence chaosd and
#    ChaosBlade run: tc qdisc add root prio bands 4, tc qdisc add parent 1:4 netem, one tc
#    filter add ... u32 match ip dst CIDR flowid 1:4 per destination; revert: tc qdisc del root.
#  - delay fidelity: delay D requested, the median round trip's increase measured.
cd "$(dirname "$0")/.." || exit 1
export BENCH_QUICK=${1:-}
. tests/lib.sh
export BENCH_OUT=$T/bench
. bench/lib.sh
N=10000 PPS=5000 GRACE=1
. tests/netlib.sh
NETLAT=$BUILD/bench-bin/netlat

bench_begin vm "The netem engine, in a VM (Debian's kernel $(uname -r), one emulated CPU)"
net_setup

# ---- latency ------------------------------------------------------------------------------
RUNS=$(count 200 10)
cidrs() { local i; for ((i = 0; i < $1; i++)); do echo "198.$((18 + i / 256)).$((i % 256)).0/24"; done; }
for n in 1 100; do
	list=$(cidrs "$n" | sed 's/.*/"&"/' | paste -sd,)
	printf '{"version":1,"title":"bench","faults":[{"name":"lat","type":"network","target":{"interface":"%s","netns":"%s","direction":"egress","destinations":[%s]},"engine":"netem","delay":"10ms","duration":"1m"}]}\n' \
		"$VA" "$A" "$list" >"$T/exp-$n.json"
done
peer_apply() { # DEV N
	tc qdisc add dev "$1" root handle 1: prio bands 4 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1 || return 1
	tc qdisc add dev "$1" parent 1:4 handle 40: netem delay 10ms || return 1
	local c
	for c in $(cidrs "$2"); do
		tc filter add dev "$1" parent 1:0 protocol ip prio 4 u32 match ip dst "$c" flowid 1:4 || return 1
	done
}
peer_loop() { # DEV N RUNS APPLY_OUT REVERT_OUT
	local i t0 t1 t2
	for ((i = 0; i < $3; i++)); do
		t0=$EPOCHREALTIME
		peer_apply "$1" "$2" || return 1
		t1=$EPOCHREALTIME
		tc qdisc del dev "$1" root || return 1
		t2=$EPOCHREALTIME
		echo "$t0 $t1 $t2" | awk '{ printf "%.4f\n", ($2 - $1) * 1000 }' >>"$4"
		echo "$t0 $t1 $t2" | awk '{ printf "%.4f\n", ($3 - $2) * 1000 }' >>"$5"
	done
}
export -f peer_apply peer_loop cidrs
method "Latency: one netem fault (delay 10 ms, egress, destinations: 1 or 100 CIDRs) on one end \
of a veth pair, applied and reverted $RUNS times. faultline: the network fault's apply() and \
revert() (bench/netlat.c): apply attaches the classifier loaded at preflight, creates the \
fault's IFB device with netem as its root and the cls_bpf filter whose mirred action steers \
matching packets there; revert takes all of it down and checks the interface's qdisc tree. \
Peer: chaosd's and ChaosBlade's commands, each a tc process: prio bands 4 as root, netem on \
band 4, one u32 filter per destination; revert: tc qdisc del dev X root. Under qemu's TCG every \
instruction is emulated, so absolute times are several times the host's; both sides pay it."
# The peers' 100-destination sequence takes about 10 s per apply under TCG (102 tc
# processes): it runs PEER_RUNS times, faultline RUNS times.
PEER_RUNS=$(count 20 2)
for n in 1 100; do
	blocks=5
	per=$(( (RUNS + blocks - 1) / blocks ))
	pper=$per
	[ "$n" -gt 1 ] && pper=$(( (PEER_RUNS + blocks - 1) / blocks ))
	for ((b = 0; b < blocks; b++)); do
		"$NETLAT" "$T/exp-$n.json" "$per" "$T/fl-$n-apply" "$T/fl-$n-revert" "$T/fl-$n-plan" || exit 1
		ip netns exec "$A" bash -c "peer_loop $VA $n $pper '$T/tc-$n-apply' '$T/tc-$n-revert'" || exit 1
	done
	label="$n CIDR"
	[ "$n" -gt 1 ] && label+="s"
	for what in apply revert; do
		read -r f50 f99 _ _ _ cnt < <(stats "$T/fl-$n-$what")
		read -r p50 p99 _ _ _ pcnt < <(stats "$T/tc-$n-$what")
		row label="netem $what, $label, p50" unit=ms faultline="$f50" peer="$p50" peer_name="tc exec (prio, netem, u32), $pcnt runs" better=lower n="$cnt"
		row label="netem $what, $label, p99" unit=ms faultline="$f99" peer="$p99" peer_name="tc exec (prio, netem, u32), $pcnt runs" better=lower n="$cnt"
		eval "F50_${what}_$n=$f50 P50_${what}_$n=$p50"
	done
	read -r c50 _ _ _ _ cnt < <(stats "$T/fl-$n-plan")
	row label="netem plan (preflight: classifier loaded, netem probed), $label, p50" unit=ms faultline="$c50" n="$cnt"
done
txt= met=true
for n in 1 100; do
	for what in apply revert; do
		eval "f=\$F50_${what}_$n p=\$P50_${what}_$n"
		r=$(awk -v a="$f" -v b="$p" 'BEGIN { printf "%.1f", b / a }')
		awk -v r="$r" 'BEGIN { exit !(r < 10) }' && met=false
		txt+="$what/$n: ${r}x; "
	done
done
goal "netem engine at least 10x faster than tc exec (p50)" "${txt%; }" "$met"

# ---- delay fidelity -----------------------------------------------------------------------
start_agent || exit 1
ECHO=$((P1 + 2))
ip netns exec "$B" "$NT" echo "$B4" "$ECHO" >"$T/echo" &
track $!
wait_for 5 grep -q ready "$T/echo"
PROBES=$(count 200 50)
rtt_line() { ip netns exec "$A" "$NT" rtt "$B4" "$ECHO" "$PROBES" 20; }
rtt_line >"$T/base"
base_med=$(awk '{ print $3 }' "$T/base")
method "Delay: a delay D fault (engine netem, egress, UDP to an echo server's port) run by the \
agent; $PROBES echo round trips 20 ms apart (tests/helpers/nettraffic.c); measured: the \
median round trip minus the median without a fault ($base_med ms here)."
for d in 10 50 100 200; do
	f=$(netexp "delay$d" '{"interface":"'"$VA"'","netns":"'"$A"'","protocol":"udp","ports":['"$ECHO"']}' '"delay":"'"$d"'ms"')
	start "$f" || { echo "delay $d: the fault did not become active" >&2; exit 1; }
	rtt_line >"$T/d$d"
	finish "$ID"
	med=$(awk '{ print $3 }' "$T/d$d")
	p10=$(awk '{ print $5 }' "$T/d$d")
	p90=$(awk '{ print $7 }' "$T/d$d")
	add=$(awk -v m="$med" -v b="$base_med" 'BEGIN { printf "%.2f", m - b }')
	row label="delay ${d} ms: added to the median round trip (p10 $p10, p90 $p90 ms)" unit=ms requested="$d" faultline="$add" n="$PROBES"
done
stop_agent
bench_end
echo "@@ vm.json begin"
cat "$BENCH_OUT/vm.json"
echo "@@ vm.json end"
