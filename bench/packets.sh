#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, section 3: what targeting costs per packet.  UDP datagrams per second through
# a veth pair between two namespaces of the benchmark's own: with no filter, with faultline's
# classifier (the real agent, a bpf loss fault whose CIDR list misses the traffic) holding 1,
# 100, 1,000 and 10,000 CIDRs, and with the u32 chain the peers build (one filter per
# destination) holding 1, 100 and 1,000.  The configurations are interleaved over rounds, in
# rotating order, so that a noisy spell of the machine does not land on one of them.  Then
# the classifier's own time per packet, from the kernel's BPF run-time statistics.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
. bench/lib.sh
ROUNDS=$(count 9 2)
WINDOW_MS=$(count 1000 400)
UDPFLOOD=$BUILD/bench-bin/udpflood
# The agent attaches its classifier as cls_bpf on clsact unless FAULTLINE_TC_ATTACH=tcx.  The
# main rows use the agent as the caller's environment has it; a second agent, on the other
# path, gives one more row.
MAIN_ATTACH=${FAULTLINE_TC_ATTACH:-}
if [ "$MAIN_ATTACH" = tcx ]; then OTHER_ATTACH=netlink; else OTHER_ATTACH=tcx; fi

bench_begin packets "Per-packet cost of targeting"

fail() {
	echo "packets: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, tc, BPF)"
[ -x "$UDPFLOOD" ] ||
	fail "no $UDPFLOOD: run 'make build/bench-bin/udpflood' (make bench builds it)"
command -v bpftool >/dev/null || fail "needs bpftool"

hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# ---- the veth pair ------------------------------------------------------------------------
A=fl-pa-$(hex 4)
B=fl-pb-$(hex 4)
VA=fp$(hex 4)a
VB=fp$(hex 4)b
ip netns add "$A" || fail "cannot create a network namespace"
on_exit "ip netns del $A"
ip netns add "$B" || fail "cannot create a network namespace"
on_exit "ip netns del $B"
# 10.X.Y.0/24 with room around it in 10.X.0.0/16 for the CIDR lists (below).
X=$((RANDOM % 200 + 20))
Y=$((RANDOM % 180 + 40))
NET=10.$X.$Y
A4=$NET.1
B4=$NET.2
PORT=$((20000 + RANDOM % 10000))
ip link add "$VA" netns "$A" type veth peer name "$VB" netns "$B" || fail "cannot create veth"
ip -n "$A" addr add "$A4/24" dev "$VA"
ip -n "$B" addr add "$B4/24" dev "$VB"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "$VA" up
ip -n "$B" link set "$VB" up

# ---- one measurement ----------------------------------------------------------------------
# The receiver is stopped by the trap only while it runs (a PID kept past its wait could be
# reused by an unrelated process).
RECV_PID=
on_exit '[ -z "$RECV_PID" ] || { kill "$RECV_PID"; wait "$RECV_PID"; } 2>/dev/null'
# blast MS: the receiver in B, then the sender in A for MS ms.  Sets CPU_PPS (datagrams sent
# per second of the sender's CPU time), RX_PPS (received per second of wall-clock time), LOST
# and SHARE (the sender's CPU time over its wall-clock time, in percent).
blast() {
	local out=$T/recv sent elapsed cpu received span
	ip netns exec "$B" "$UDPFLOOD" recv "$B4" "$PORT" $(($1 + 10000)) 300 >"$out" &
	RECV_PID=$!
	wait_for 5 grep -q ready "$out" || fail "the receiver did not start"
	read -r _ sent _ _ _ elapsed _ cpu < <(
		ip netns exec "$A" "$UDPFLOOD" send "$B4" "$PORT" "$1")
	wait "$RECV_PID"
	RECV_PID=
	read -r _ received _ span < <(tail -n 1 "$out")
	if [ -z "$cpu" ] || [ "${received:-0}" -le 0 ] || [ "${span:-0}" -le 0 ]; then
		fail "no traffic got through (sent ${sent:-?}, received ${received:-?})"
	fi
	CPU_PPS=$((sent * 1000000000 / cpu))
	RX_PPS=$((received * 1000000000 / span))
	SHARE=$((cpu * 100 / elapsed))
	LOST=$((sent - received))
}

# ---- the CIDR lists -----------------------------------------------------------------------
# N /32s as close to the destination as there are (its neighbours in 10.X.0.0/16, nearest
# first, the destination itself never): a lookup of the destination then walks as deep into
# faultline's LPM trie as it can go.  CIDRs far from it (another /8) would end every lookup at
# the trie's root and make the flat line trivial.
addrs() { # N
	awk -v n="$1" -v x="$X" -v base=$((Y * 256 + 2)) 'BEGIN {
		for (d = 1; c < n; d++)
			for (s = -1; s <= 1 && c < n; s += 2) {
				i = base + s * d
				if (i < 0 || i > 65535) continue
				printf "10.%d.%d.%d/32\n", x, int(i / 256), i % 256; c++
			}
	}'
}
# For the classifier's own time only (below): 10,000 /32s far from the destination, in
# 198.18.0.0/15, where the lookup ends at the trie's root.
addrs_far() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
	printf "198.%d.%d.%d/32\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256 }'; }
SIZES_FL="1 100 1000 10000"
SIZES_U32="1 100 1000"
experiment() { # NAME, the CIDRs on stdin
	local list target fault
	list=$(sed 's/.*/"&"/' | paste -sd,)
	target='{"interface":"'$VA'","netns":"'$A'","direction":"egress","destinations":['$list']}'
	fault='{"name":"targets","type":"network","target":'$target',"engine":"bpf","loss":100,'
	fault+='"duration":"10m"}'
	printf '{"version":1,"title":"bench packets %s","faults":[%s]}\n' "$1" "$fault" \
		>"$T/fl-$1.json"
	out=$("$FAULTCTL" validate "$T/fl-$1.json" 2>&1) || fail "fl-$1 does not validate: $out"
}
for n in $SIZES_FL; do addrs "$n" | experiment "$n"; done
addrs_far 10000 | experiment 10000far
# The peers' chain: a root qdisc, its classes, one u32 filter per destination, all at one
# priority as they add them ("prio 4"), pointing at the class the impairment would hang from.
filter="filter add dev $VA parent 1: protocol ip prio 4 u32 match ip dst"
for n in $SIZES_U32; do
	{
		echo "qdisc add dev $VA root handle 1: htb default 2"
		echo "class add dev $VA parent 1: classid 1:2 htb rate 10gbit quantum 60000"
		echo "class add dev $VA parent 1: classid 1:3 htb rate 10gbit quantum 60000"
		addrs "$n" | sed "s|.*|$filter & flowid 1:3|"
	} >"$T/u32-$n.tc"
done
# The htb root alone: what the u32 rows pay for the qdisc, before any filter.
echo "qdisc add dev $VA root handle 1: htb default 2
class add dev $VA parent 1: classid 1:2 htb rate 10gbit quantum 60000
class add dev $VA parent 1: classid 1:3 htb rate 10gbit quantum 60000" >"$T/u32-0.tc"

# ---- faultline ----------------------------------------------------------------------------
start_agent || fail "faultlined did not start"
MAIN_SOCK=$FAULTLINE_SOCKET
OTHER_SOCK=$T/other.sock
FAULTLINE_TC_ATTACH=$OTHER_ATTACH FAULTLINE_SOCKET=$OTHER_SOCK FAULTLINE_STATE_DIR=$T/other-state \
	"$FAULTLINED" --log-level debug >>"$T/agent-other.log" 2>&1 &
# shellcheck disable=SC2034 # used by the trap
OTHER_PID=$!
on_exit 'kill -TERM "$OTHER_PID" && wait "$OTHER_PID"'
wait_for 10 env FAULTLINE_SOCKET="$OTHER_SOCK" "$FAULTCTL" list >/dev/null ||
	fail "the second faultlined did not start: $(cat "$T/agent-other.log")"
RUN_ID='' RUN_SOCK=''
on_exit '[ -z "$RUN_ID" ] || FAULTLINE_SOCKET=$RUN_SOCK "$FAULTCTL" abort "$RUN_ID" >/dev/null 2>&1'
fault_state() { FAULTLINE_SOCKET=$RUN_SOCK run_field "$1" "r['faults'][0]['state']"; }
fl_on() { # N [SOCKET]
	RUN_SOCK=${2:-$MAIN_SOCK}
	RUN_ID=$(FAULTLINE_SOCKET=$RUN_SOCK "$FAULTCTL" run "$T/fl-$1.json") ||
		fail "faultctl run ($1 CIDRs) failed"
	wait_for 30 test "$(fault_state "$RUN_ID")" = active ||
		fail "the fault with $1 CIDRs did not become active:" \
			"$(FAULTLINE_SOCKET=$RUN_SOCK "$FAULTCTL" status "$RUN_ID" 2>&1)"
	ATTACH_HOW=$(FAULTLINE_SOCKET=$RUN_SOCK run_field "$RUN_ID" \
		"r['faults'][0]['status']['hooks']['egress']['attach']")
	# The classifier really is on the interface: a tcx link's program (this bpftool does not
	# list tcx links per device), or the cls_bpf filter.
	case $ATTACH_HOW in
	tcx*) PROG_ID=${ATTACH_HOW##* } ;;
	*) PROG_ID=$(tc -n "$A" filter show dev "$VA" egress |
		sed -nE 's/.*faultline:.* id ([0-9]+) name fl_egress.*/\1/p') ;;
	esac
	bpftool prog show id "${PROG_ID:-0}" 2>/dev/null | grep -q fl_egress ||
		fail "no faultline classifier on '$VA' although the fault is active ($ATTACH_HOW)"
}
fl_off() {
	local m
	# Every datagram missed the CIDR list: matched must be 0, or the rows measure drops.
	m=$(FAULTLINE_SOCKET=$RUN_SOCK run_field "$RUN_ID" \
		"r['faults'][0]['status']['hooks']['egress']['counters']['matched']")
	[ "$m" = 0 ] || fail "the classifier matched $m datagrams; the CIDR list must miss them"
	FAULTLINE_SOCKET=$RUN_SOCK "$FAULTCTL" abort "$RUN_ID" >/dev/null 2>&1
	wait_for 30 test "$(fault_state "$RUN_ID")" = reverted || fail "run $RUN_ID did not revert"
	RUN_ID='' RUN_SOCK=''
}
u32_on() { tc -n "$A" -batch "$T/u32-$1.tc" 2>"$T/tc.err" || fail "tc: $(cat "$T/tc.err")"; }
u32_off() { tc -n "$A" qdisc del dev "$VA" root || fail "cannot delete the htb root"; }

# ---- the rounds ---------------------------------------------------------------------------
# how ATTACH: the status's "attach", short.
how() {
	case $1 in
	tcx*) echo "a tcx link" ;;
	cls_bpf*) echo "cls_bpf on clsact" ;;
	*) echo "$1" ;;
	esac
}
CONFIGS=(base fl-1 fl-100 fl-1000 fl-10000 flx-10000 u32-0 u32-1 u32-100 u32-1000)
declare -A CPU RX SHARES LOSTS
# Warm up: ARP, caches, the receiver's first wakeups.
blast 300
attach='' other=''
for ((round = 0; round < ROUNDS; round++)); do
	for ((k = 0; k < ${#CONFIGS[@]}; k++)); do
		c=${CONFIGS[$(((k + round * 2) % ${#CONFIGS[@]}))]}
		case $c in
		fl-*) fl_on "${c#fl-}" && attach=$(how "$ATTACH_HOW") ;;
		flx-*) fl_on "${c#flx-}" "$OTHER_SOCK" && other=$(how "$ATTACH_HOW") ;;
		u32-*) u32_on "${c#u32-}" ;;
		esac
		blast "$WINDOW_MS"
		case $c in
		fl*) fl_off ;;
		u32-*) u32_off ;;
		esac
		CPU[$c]="${CPU[$c]:-} $CPU_PPS"
		RX[$c]="${RX[$c]:-} $RX_PPS"
		SHARES[$c]="${SHARES[$c]:-} $SHARE"
		LOSTS[$c]=$((${LOSTS[$c]:-0} + LOST))
		echo "# round $((round + 1))/$ROUNDS $c: $CPU_PPS per CPU-second," \
			"received $RX_PPS/s (sender on CPU $SHARE% of the time), lost $LOST" >&2
	done
done

# ---- the classifier's own time ------------------------------------------------------------
# The kernel's run-time statistics for BPF programs, on only for these measurements (they
# cost every program two clock reads per run, so the rounds above ran without them): the time
# spent in faultline's classifier per packet, which the rates above can only show within
# this machine's noise.
STATS_PID=
on_exit '[ -z "$STATS_PID" ] || { kill "$STATS_PID"; wait "$STATS_PID"; } 2>/dev/null'
declare -A RUN_NS
for n in $SIZES_FL 10000far; do
	fl_on "$n"
	"$UDPFLOOD" bpfstats $((WINDOW_MS + 10000)) >"$T/stats" &
	STATS_PID=$!
	wait_for 5 grep -q ready "$T/stats" || fail "cannot turn the BPF run-time statistics on"
	blast "$WINDOW_MS"
	kill "$STATS_PID" && wait "$STATS_PID"
	STATS_PID=
	RUN_NS[$n]=$(bpftool prog show id "$PROG_ID" --json | python3 -c '
import json, sys
p = json.load(sys.stdin)
n = p.get("run_cnt", 0)
print("%.1f %d" % (p.get("run_time_ns", 0) / n, n) if n else "null 0")')
	fl_off
	echo "# classifier with $n CIDRs: ${RUN_NS[$n]% *} ns per run" \
		"over ${RUN_NS[$n]#* } runs" >&2
done

# ---- the rows -----------------------------------------------------------------------------
declare -A P W S
for c in "${CONFIGS[@]}"; do
	# shellcheck disable=SC2086 # the lists of samples, one per word
	P[$c]=$(median ${CPU[$c]}) W[$c]=$(median ${RX[$c]}) S[$c]=$(median ${SHARES[$c]})
done
base=${P[base]}
# vs CONFIG: "-3.1%, +120 ns/packet vs no filter"
vs() {
	awk -v p="${P[$1]}" -v b="$base" 'BEGIN { printf "%+.1f%%, %+.0f ns/packet vs no filter",
		(p - b) / b * 100, 1e9 / p - 1e9 / b }'
}
# range_of "SAMPLES": "-12% to +5%", the smallest and the largest against the median.
range_of() {
	# shellcheck disable=SC2086 # the list of samples, one per word
	printf '%s\n' $1 | sort -g | awk -v m="$(median $1)" '{ v[NR] = $1 }
		END { printf "%+.0f%% to %+.0f%%", (v[1] - m) / m * 100, (v[NR] - m) / m * 100 }'
}
commas() { sed -E ':a;s/([0-9])([0-9]{3})($|,)/\1,\2\3/;ta' <<<"$1"; }
label_n() { if [ "$1" = 1 ]; then echo "1 $2"; else echo "$(commas "$1") ${2}s"; fi; }

method "UDP datagrams of 64 bytes, sent as fast as one sender can (bench/udpflood.c: sendmmsg, \
64 per call, one connected socket) from one end of a veth pair, in a network namespace of the \
benchmark's own, to a receiver (recvmmsg, a 16 MiB buffer) at the other end, in another, for \
$WINDOW_MS ms per measurement. On veth the sender's CPU carries the whole path: its own \
transmit, the tc hook where the targeting runs, and the receiving stack up to the socket. So \
the sender is the bottleneck, and the number is its rate per CPU: datagrams sent per second \
of the sender's CPU time (CLOCK_PROCESS_CPUTIME_ID, which includes the softirq work done on \
its behalf), the rate one whole core achieves. On an idle machine that is the wall-clock \
rate, the sender running all the time; on a busy one the wall-clock rate measures how much \
CPU the neighbours leave, the rate per CPU-second much less so: in this run the baseline's \
wall-clock samples ranged from $(range_of "${RX[base]}") of their median, its samples per \
CPU-second from $(range_of "${CPU[base]}"). The receiver, on the other CPU, is not what is \
measured; what it lost when the neighbours starved it is in a note. $ROUNDS rounds; each \
round measures every configuration once, in an order that rotates from round to round; the \
table gives the median of the $ROUNDS, and the cost per packet that a rate implies against \
the baseline (1/rate - 1/baseline)."
method "faultline: the real agent (faultlined, faultctl run) with one network fault, engine \
bpf, loss 100%, egress on the sender's end, whose destinations are 1, 100, 1,000 or 10,000 /32s. \
None of them is the traffic's destination (the classifier's counters confirm that it matched \
nothing), so every datagram pays for the lookup and passes. The CIDRs are the destination's \
nearest neighbours in its /16, so that the lookup walks as deep into the LPM trie as it can; \
CIDRs elsewhere would end each lookup at the trie's root. The classifier was attached through \
${attach:-?} (the agent's ${MAIN_ATTACH:+FAULTLINE_TC_ATTACH=$MAIN_ATTACH, not its }default), \
on a veth with no qdisc of its own (noqueue), as in the baseline; one more row has a second \
agent attach it through ${other:-?} (FAULTLINE_TC_ATTACH=$OTHER_ATTACH)."
method "Peer: the chain chaosd, Chaos Mesh and ChaosBlade build with the tc binary, one \
\"tc filter add dev X parent 1: protocol ip prio 4 u32 match ip dst CIDR flowid 1:3\" per \
destination, for 1, 100 and 1,000 of the same /32s, under a root qdisc (installed with tc \
-batch: setup time is not what this section measures). All the filters share one priority, \
so they form one u32 list that the kernel walks in order; the traffic's destination is in none \
of them, so every datagram walks the whole chain and falls through to the default class. \
The htb root alone, without filters, is measured too: the part of the u32 rows' cost that is \
the qdisc's, not the chain's."
# shellcheck disable=SC2086 # the list of samples, one per word
printf '%s\n' ${CPU[base]} >"$T/base.samples"
spread=$(awk -v q1="$(pctl "$T/base.samples" 25)" -v q3="$(pctl "$T/base.samples" 75)" \
	-v m="$base" 'BEGIN { printf "%+.0f%% to %+.0f%%", (q1 - m) / m * 100,
		(q3 - m) / m * 100 }')
method "Noise: the baseline's own samples spread from $spread around their median \
(interquartile range), so differences of a few percent between the rates are this machine's \
noise, not the targeting's cost. For the part of it that is faultline's, the kernel's BPF \
run-time statistics (BPF_ENABLE_STATS, held by bench/udpflood.c for one extra $WINDOW_MS ms \
measurement per size after the rounds, never during them: they add two clock reads to every \
program run) give the time spent in the classifier itself, per packet (run_time_ns over \
run_cnt in bpftool prog show); once more with 10,000 /32s far from the destination \
(198.18.0.0/15), where each lookup ends at the trie's root. The u32 chain runs inside the \
qdisc and has no such counter: its cost per packet is the one its rates imply."
note "This kernel has neither the prio qdisc nor netem: the u32 chain hangs from an htb root \
(\"htb default 2\", classes 1:2 and 1:3 at 10gbit, never the limit here) instead of the peers' \
\"prio\" with a netem child on band 1:3. The filters are the peers' own; an htb root costs \
more per packet than prio, which the \"htb root alone\" row shows."

U=pps/CPU
row label="no filter, no qdisc (baseline)" unit=$U faultline="$base" n="$ROUNDS"
for n in $SIZES_FL; do
	row label="faultline classifier, $(label_n "$n" CIDR) ($(vs "fl-$n"))" unit=$U \
		faultline="${P[fl-$n]}" n="$ROUNDS"
done
row label="... 10,000 CIDRs, through ${other:-?} instead ($(vs flx-10000))" unit=$U \
	faultline="${P[flx-10000]}" n="$ROUNDS"
row label="htb root alone, no filter ($(vs u32-0))" unit=$U peer="${P[u32-0]}" \
	peer_name="htb root (u32's host)" n="$ROUNDS"
for n in $SIZES_U32; do
	row label="u32 chain, $(label_n "$n" destination) ($(vs "u32-$n"))" unit=$U \
		peer="${P[u32-$n]}" peer_name="tc u32 chain" n="$ROUNDS"
done
for n in $SIZES_U32; do
	row label="$(label_n "$n" CIDR): faultline vs u32 chain" unit=$U faultline="${P[fl-$n]}" \
		peer="${P[u32-$n]}" peer_name="tc u32 chain" better=higher n="$ROUNDS"
done
for n in $SIZES_FL; do
	row label="faultline classifier's own run time per packet, $(label_n "$n" CIDR)" unit=ns \
		faultline="${RUN_NS[$n]% *}" n="${RUN_NS[$n]#* }"
done
row label="... 10,000 CIDRs far from the destination (198.18.0.0/15)" unit=ns \
	faultline="${RUN_NS[10000far]% *}" n="${RUN_NS[10000far]#* }"
# name CONFIG: a configuration's short name for the note.
name() {
	case $1 in
	base) echo "no filter" ;;
	fl-*) echo "faultline $(commas "${1#fl-}")" ;;
	flx-*) echo "faultline $(commas "${1#flx-}") through ${other:-?}" ;;
	u32-0) echo "htb alone" ;;
	u32-*) echo "u32 $(commas "${1#u32-}")" ;;
	esac
}
lost=0 wall=''
for c in "${CONFIGS[@]}"; do
	lost=$((lost + LOSTS[$c]))
	wall="${wall:+$wall, }$(name "$c") $(commas "${W[$c]%.*}") (CPU ${S[$c]}%)"
done
note "Datagrams lost between sender and receiver, all measurements together: $(commas "$lost"). \
Wall-clock received rates of the same runs (medians; the sender's median share of a CPU in \
parentheses): $wall."
for c in "${CONFIGS[@]}"; do
	echo "# $c: per CPU-second${CPU[$c]}; received/s${RX[$c]}; CPU%${SHARES[$c]};" \
		"lost in all ${LOSTS[$c]}" >&2
done

flat=$(awk -v a="${P[fl-1]}" -v b="${P[fl-10000]}" 'BEGIN { printf "%+.1f", (b - a) / a * 100 }')
flat_met=$(awk -v f="$flat" 'BEGIN { print (f >= -5 && f <= 5) ? "true" : "false" }')
# What the classifier's own extra time at 10,000 CIDRs is worth, at the baseline's rate.
own=$(awk -v a="${RUN_NS[1]% *}" -v b="${RUN_NS[10000]% *}" -v r="$base" 'BEGIN {
	printf "the classifier'"'"'s own time: %.0f ns, then %.0f ns, %+.1f%% of the", a, b,
		(b - a) * r / 1e7
	printf " baseline'"'"'s cost per packet" }')
goal "faultline flat from 1 to 10,000 CIDRs (within 5%)" \
	"$flat% from 1 to 10,000, with the baseline's own spread at $spread ($own)" "$flat_met"
ratios='' ahead=true
for n in 100 1000; do
	r=$(awk -v f="${P[fl-$n]}" -v p="${P[u32-$n]}" 'BEGIN { printf "%.2f", f / p }')
	ratios="${ratios:+$ratios, }${r}x at $(commas "$n")"
	awk -v r="$r" 'BEGIN { exit !(r > 1) }' || ahead=false
done
goal "ahead of u32 from 100 destinations up" "$ratios" "$ahead"
bench_end

# Nothing of ours may be left: the run reverted, the agent stopped, then the namespaces go
# with the EXIT trap.
stop_agent
[ -z "$RUN_ID" ] || echo "packets: run $RUN_ID still active" >&2
