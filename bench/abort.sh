#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, section 2: how long until nothing is left after an abort or a breach.
#  - abort to clean: `faultctl abort ID` (which returns once every fault is reverted) with 1,
#    10 and 50 active network faults, each on its own interface; the peer reverts the same
#    interfaces the way their tools do, one `tc qdisc del` process per interface.
#  - breach to clean: a tcp probe through a blackholed path trips a safety rule; the agent's
#    own record says how long from the end of the breaching sample to the last revert.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
. bench/lib.sh

bench_begin abort "Abort to clean and breach to clean"
NS=fl-bench-ab$$
ip netns add "$NS" || exit 1
on_exit "ip netns del $NS"
MAXF=50
for ((i = 0; i < MAXF; i += 2)); do
	ip -n "$NS" link add "fla$i" type veth peer name "fla$((i + 1))" || exit 1
done
for ((i = 0; i < MAXF; i++)); do ip -n "$NS" link set "fla$i" up; done
start_agent || exit 1

faults() { # N: N loss faults, one per interface
	local i out=
	for ((i = 0; i < $1; i++)); do
		out+='{"name":"f'$i'","type":"network","target":{"interface":"fla'$i'","netns":"'$NS'"},"engine":"bpf","loss":100,"duration":"10m"},'
	done
	echo "${out%,}"
}
all_active() { # ID N
	[ "$(run_field "$1" "sum(1 for f in r['faults'] if f['state'] == 'active')")" = "$2" ]
}
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'; }

peer_setup() { # N: what the peers' tools leave on N interfaces (stand-ins as in latency.sh)
	local i
	for ((i = 0; i < $1; i++)); do
		echo "qdisc add dev fla$i root handle 1: htb default 3"
		echo "class add dev fla$i parent 1: classid 1:3 htb rate 10gbit"
		echo "filter add dev fla$i parent 1: protocol ip prio 4 u32 match ip dst 198.18.0.0/24 flowid 1:3"
	done | ip netns exec "$NS" tc -batch - 2>/dev/null
}
peer_revert() { # N: one tc process per interface, as their revert loops do
	local i
	for ((i = 0; i < $1; i++)); do tc qdisc del dev "fla$i" root || return 1; done
}
export -f peer_revert

method "Abort: an experiment of N network faults (engine bpf, loss, each on its own veth \
interface in a namespace of the benchmark's), started with faultctl run; once every fault is \
active, the time the abort takes until the agent's reply, which comes once every fault is \
reverted and each interface's qdisc tree checked. Measured two ways, in alternate rounds: \
faultctl abort as the operator runs it (the faultctl process included), and the control \
request alone from a client that is already running (bench/ctlrtt.py). Peer: the same \
interfaces carrying the peers' qdisc, class and u32 filter, removed by one tc qdisc del \
process per interface, inside the namespace."
for n in 1 10 50; do
	case $n in 1) runs=$(count 200 10) ;; 10) runs=$(count 60 4) ;; *) runs=$(count 20 2) ;; esac
	printf '{"version":1,"title":"abort %d","faults":[%s]}\n' "$n" "$(faults "$n")" >"$T/ab-$n.json"
	for ((r = 0; r < runs; r++)); do
		id=$("$FAULTCTL" run "$T/ab-$n.json") || { echo "run refused: $id" >&2; exit 1; }
		wait_for 30 all_active "$id" "$n" || { echo "run $id: not all $n faults active" >&2; exit 1; }
		if ((r % 2)); then
			python3 bench/ctlrtt.py "$FAULTLINE_SOCKET" '{"proto":1,"cmd":"abort","run":"'"$id"'"}' \
				>>"$T/rq-$n" || exit 1
		else
			t0=$EPOCHREALTIME
			"$FAULTCTL" abort "$id" >/dev/null || { echo "abort $id failed" >&2; exit 1; }
			t1=$EPOCHREALTIME
			ms_between "$t0" "$t1" >>"$T/ab-$n"
		fi
		left=$(run_field "$id" "sum(1 for f in r['faults'] if f['state'] != 'reverted')")
		[ "$left" = 0 ] || { echo "run $id: $left faults not reverted after abort" >&2; exit 1; }
		peer_setup "$n"
		t0=$EPOCHREALTIME
		ip netns exec "$NS" bash -c "peer_revert $n" || exit 1
		t1=$EPOCHREALTIME
		ms_between "$t0" "$t1" >>"$T/tc-$n"
	done
	read -r p50 p99 _ _ _ _ < <(stats "$T/tc-$n")
	for k in ab rq; do
		read -r f50 f99 _ _ _ cnt < <(stats "$T/$k-$n")
		how="faultctl abort"
		[ "$k" = rq ] && how="abort request"
		row label="$how, $n fault(s), p50" unit=ms faultline="$f50" peer="$p50" \
			peer_name="tc qdisc del per interface" better=lower n="$cnt"
		row label="$how, $n fault(s), p99" unit=ms faultline="$f99" peer="$p99" \
			peer_name="tc qdisc del per interface" better=lower n="$cnt"
	done
done
# What a faultctl process costs before it says anything: the difference between the two ways.
for ((r = 0; r < 21; r++)); do
	t0=$EPOCHREALTIME
	"$FAULTCTL" --help >/dev/null 2>&1
	t1=$EPOCHREALTIME
	ms_between "$t0" "$t1" >>"$T/ctl-start"
done
libs=$(ldd "$FAULTCTL" | wc -l)
row label="faultctl start and exit (--help), p50" unit=ms faultline="$(pctl "$T/ctl-start" 50)" n=21
note "faultctl abort's time includes starting a faultctl process ($(pctl "$T/ctl-start" 50) ms \
here for --help; it maps $libs shared objects); the abort request rows leave it out."

# ---- breach to clean -------------------------------------------------------------------
method "Breach: a veth pair between the host and a namespace with a TCP listener; a tcp probe \
(every 50 ms, timeout 30 ms) to it and a rule that aborts on one failure; a blackhole fault \
on the host's end of the pair, towards the listener only, from the start of the inject phase. \
The agent records breach_to_clean_ms in each run: from the end of the sample that tripped \
the rule to the last fault reverted. No peer: the peers check their steady state by polling \
from outside the agent, seconds apart."
HV=flbh$$
ip link add "$HV" type veth peer name "${HV}p" netns "$NS" || exit 1
on_exit "ip link del $HV 2>/dev/null"
NET=10.$((RANDOM % 200 + 20)).$((RANDOM % 250))
ip addr add "$NET.1/30" dev "$HV" && ip link set "$HV" up || exit 1
ip -n "$NS" addr add "$NET.2/30" dev "${HV}p" && ip -n "$NS" link set "${HV}p" up || exit 1
PORT=$(free_port)
ip netns exec "$NS" "$BUILD/tests/nettraffic" listen "$NET.2" "$PORT" >"$T/listen" &
track $!
wait_for 5 grep -q ready "$T/listen" || { echo "listener did not start" >&2; exit 1; }
cat >"$T/breach.json" <<JSON
{"version":1,"title":"breach",
 "hypothesis":{"probes":[{"name":"svc","type":"tcp","host":"$NET.2","port":$PORT,"interval":"50ms","timeout":"30ms"}],
   "before":{"duration":"100ms"},"after":{"within":"2s","duration":"50ms"}},
 "faults":[{"name":"cut","type":"network","target":{"interface":"$HV","destinations":["$NET.2/32"]},"blackhole":true,"engine":"bpf","duration":"30s"}],
 "safety":{"abort_when":[{"probe":"svc","consecutive_failures":1}],"max_duration":"1m"}}
JSON
runs=$(count 100 10)
for ((r = 0; r < runs; r++)); do
	"$FAULTCTL" run --wait --json "$T/breach.json" >"$T/breach-run.json" 2>/dev/null
	v=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r.get("breach_to_clean_ms"), r.get("verdict"))' "$T/breach-run.json")
	[ "${v% *}" != None ] || { echo "run $r: no breach (verdict ${v#* })" >&2; exit 1; }
	v=${v% *}
	echo "$v" >>"$T/breach"
done
read -r b50 b99 _ _ bmax cnt < <(stats "$T/breach")
row label="breach to clean, p50" unit=ms faultline="$b50" n="$cnt"
row label="breach to clean, p99" unit=ms faultline="$b99" n="$cnt"
row label="breach to clean, max" unit=ms faultline="$bmax" n="$cnt"
met=false
awk -v a="$b99" 'BEGIN { exit !(a < 50) }' && met=true
goal "breach to clean p99 under 50 ms" "$b99 ms" "$met"
stop_agent
bench_end
