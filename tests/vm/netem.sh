#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The netem engine, on a kernel that has netem: run inside a VM by scripts/vm-test.sh (see
# tests/integration/test_netem_vm.sh), as root, from the project root.  Two namespaces and a
# veth pair as in test_network.sh.  Delay with jitter measured by round-trip times (median
# 100..110 ms added), loss, duplicate, reorder and rate measured with real datagrams, ingress
# through an IFB device, exact restore of an operator's tbf and htb trees after revert, abort,
# SIGKILL and restart, and offline recovery; every qdisc, filter, IFB device and program
# faultline creates is listed before and after.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
# One emulated CPU: a gentler pace than on the host, fewer datagrams per stream, and more
# time for the last ones to arrive.
N=10000 PPS=5000 GRACE=1
. tests/netlib.sh

if ! unshare -n tc qdisc add dev lo root netem delay 1ms 2>"$T/err"; then
	not_ok "this kernel has netem (the VM's reason to exist): $(cat "$T/err")"
	t_finish
	exit 1
fi
net_setup
echo "kernel $(uname -r)"
leftovers >"$T/leftovers.before"
start_agent || { not_ok "start faultlined"; t_finish; exit 1; }

ECHO=$((P1 + 2))
ip netns exec "$B" "$NT" echo "$B4" "$ECHO" >"$T/echo" &
track $!
wait_for 5 grep -q ready "$T/echo"
# rtt: the median round trip in whole milliseconds, over 100 probes sent 20 ms apart;
# the p10 and p90 go to $T/rtt.last.
rtt() {
	ip netns exec "$A" "$NT" rtt "$B4" "$ECHO" 100 20 >"$T/rtt.last"
	cat "$T/rtt.last" >>"$T/rtt.log"
	awk '{ printf "%d\n", $3 + 0.5 }' "$T/rtt.last"
}
spread() { awk '{ printf "%d\n", $7 - $5 + 0.5 }' "$T/rtt.last"; } # p90 - p10
# added: the last median minus the fastest baseline round trip, rounded down.  netem never
# sends early, so a delay D makes every round trip at least D longer than the fastest path.
added() { awk -v b="$BASE_MIN" '{ printf "%d\n", $3 - b }' "$T/rtt.last"; }
base=$(rtt)
BASE_MIN=$(awk '{ print $9 }' "$T/rtt.last")
check "baseline round trip measured (${base} ms)" [ "$base" -ge 0 -a "$base" -lt 50 ]
measure "$B4" "$P1" "$B4" "$P2"
check "baseline: no loss without a fault ($(cat "$T/s1" | tail -n1))" \
	[ "$(field s1 unique)" -eq "$N" -a "$(field s2 unique)" -eq "$N" ]

# ---- plan: auto picks netem here -------------------------------------------------------------
DELAY_TARGET='{"interface":"'"$VA"'","netns":"'"$A"'","protocol":"udp","ports":['"$ECHO"']}'
f=$(netexp delay "$DELAY_TARGET" '"delay":"100ms","jitter":"10ms","distribution":"normal"')
out=$("$FAULTCTL" plan "$f" 2>&1); rc=$?
check "plan: auto picks netem on a kernel that has it (rc $rc)" rc_is "$rc" 0 "engine: netem" "$out"
check "plan: nothing applied" no_leftovers "$T/leftovers.before"

# ---- delay: 100 ms adds 100..110 ms to the median round trip ---------------------------------
f=$(netexp delay0 "$DELAY_TARGET" '"delay":"100ms"')
start "$f" || not_ok "delay: fault did not become active"
check "delay: an IFB device of ours carries netem" \
	bash -c "tc -n $A qdisc show | grep -E 'qdisc netem .* dev fl[0-9a-f]{8}e root' | grep -q 'delay 100ms'"
check "delay: steered by a cls_bpf filter with a mirred action" \
	bash -c "tc -n $A filter show dev $VA egress | grep -q 'faultline:' && tc -n $A filter show dev $VA egress | grep -q mirred"
d=$(rtt)
add=$(added)
check "delay: median round trip $d ms, $add ms added (want 100..110)" in_range "$add" 100 110
measure "$B4" "$P1" "$B4" "$P2"
check "delay: other ports untouched" [ "$(lost_bp s1)" -eq 0 -a "$(lost_bp s2)" -eq 0 ]
s=$(counter "$ID" egress delayed)
check "delay: counted as delayed ($s)" [ "$s" -ge 100 ]
finish "$ID"

# With jitter the delay is spread around 100 ms (netem's jitter is symmetric): the median
# stays within a few sampling errors of 100 ms, and p90 - p10 of a normal with a 10 ms sigma
# is 25.6 ms (uniform jitter of +-10 ms would give 16 ms, no jitter 0).
f=$(netexp delay "$DELAY_TARGET" '"delay":"100ms","jitter":"10ms","correlation":0,"distribution":"normal"')
start "$f" || not_ok "jitter: fault did not become active"
d=$(rtt)
add=$(added) sp=$(spread)
check "jitter: median round trip $d ms, $add ms added (want 96..110)" in_range "$add" 96 110
check "jitter: p90 - p10 is $sp ms (want 19..35 for a normal distribution)" in_range "$sp" 19 35
finish "$ID"
check "delay: gone after revert ($(rtt) ms)" [ "$(rtt)" -lt $((base + 20)) ]
check "delay: nothing left" no_leftovers "$T/leftovers.before"

# ---- loss, duplicate, reorder through netem ------------------------------------------------
PORTS='{"interface":"'"$VA"'","netns":"'"$A"'","protocol":"udp","ports":['"$P1"']}'
f=$(netexp nloss "$PORTS" '"loss":30')
start "$f" || not_ok "loss: fault did not become active"
measure "$B4" "$P1" "$B4" "$P2"
check "loss: $(lost_bp s1)/10000 lost on the targeted port (want 2700..3300)" \
	in_range "$(lost_bp s1)" 2700 3300
check "loss: none on the other port" [ "$(lost_bp s2)" -eq 0 ]
dropped=$(fault_status "$ID" "['hooks']['egress']['netem']['dropped']")
lost=$((N - $(field s1 unique)))
check "loss: netem's own drop count in status ($dropped for $lost lost)" \
	in_range "$dropped" $((lost - N / 1000)) $((lost + N / 1000))
finish "$ID"

f=$(netexp bh "$PORTS" '"blackhole":true')
start "$f" || not_ok "blackhole: fault did not become active"
check "blackhole: auto picks netem here too" test "$(fault_status "$ID" "['engine']")" = netem
measure "$B4" "$P1" "$B4" "$P2"
check "blackhole: everything lost on the targeted port ($(lost_bp s1))" [ "$(lost_bp s1)" -eq 10000 ]
check "blackhole: nothing on the other port" [ "$(lost_bp s2)" -eq 0 ]
finish "$ID"

# netem corrupts after computing the checksum, so receivers drop what it corrupts (the bpf
# engine instead delivers the corrupted data: test_network.sh).
f=$(netexp ncorrupt "$PORTS" '"corrupt":30')
start "$f" || not_ok "corrupt: fault did not become active"
measure "$B4" "$P1" "$B4" "$P2" 200
check "corrupt: $(lost_bp s1)/10000 did not arrive intact (want 2700..3300)" \
	in_range "$(lost_bp s1)" 2700 3300
check "corrupt: none arrived corrupted: checksums caught them ($(field s1 corrupted))" \
	[ "$(field s1 corrupted)" -eq 0 ]
check "corrupt: other port intact" [ "$(lost_bp s2)" -eq 0 ]
finish "$ID"

f=$(netexp dup "$PORTS" '"duplicate":20')
start "$f" || not_ok "duplicate: fault did not become active"
measure "$B4" "$P1" "$B4" "$P2"
dup=$(($(field s1 duplicates) * 10000 / N))
check "duplicate: $dup/10000 duplicated (want 1700..2300)" in_range "$dup" 1700 2300
check "duplicate: nothing lost" [ "$(lost_bp s1)" -eq 0 ]
check "duplicate: none on the other port" [ "$(field s2 duplicates)" -eq 0 ]
finish "$ID"

f=$(netexp reorder "$PORTS" '"delay":"10ms","reorder":25')
start "$f" || not_ok "reorder: fault did not become active"
measure "$B4" "$P1" "$B4" "$P2"
# netem sends 25% at once and delays the rest by 10 ms, in which time about 50 more datagrams
# are sent: nearly every delayed datagram arrives after a later one that was sent at once.
ro=$(($(field s1 reordered) * 10000 / N))
check "reorder: $ro/10000 arrived after a later datagram (want 7200..7800: the 75% delayed)" \
	in_range "$ro" 7200 7800
check "reorder: nothing lost" [ "$(lost_bp s1)" -eq 0 ]
check "reorder: other port in order" [ "$(field s2 reordered)" -eq 0 ]
finish "$ID"

# ---- rate: 1mbit, measured over what arrives ------------------------------------------------
f=$(netexp rate "$PORTS" '"rate":"1mbit","limit":10000')
start "$f" || not_ok "rate: fault did not become active"
# 1000 datagrams of 1000 bytes at 3.2 Mbit/s into a 1 Mbit/s pipe: the last arrives about
# 8.3 s after the first.
N=1000 PPS=400 GRACE=8
SENDERS=()
stream_start s1 "$B4" "$P1"
stream_send "$B4" "$P1" 1000
stream_wait s1
N=10000 PPS=5000 GRACE=1
bytes=$(field s1 bytes) span=$(field s1 span_ms)
kbit=$((bytes * 8 / (span > 0 ? span : 1)))
# netem counts whole frames (1042 bytes for 1000 of payload): 960 kbit/s of payload.
check "rate: $kbit kbit/s of payload arrived (want 900..1000)" in_range "$kbit" 900 1000
finish "$ID"

# ---- ingress through an IFB device ---------------------------------------------------------
f=$(netexp ingress '{"interface":"'"$VB"'","netns":"'"$B"'","direction":"ingress","protocol":"udp",
 "source_ports":['"$ECHO"']}' '"delay":"50ms"')
start "$f" || not_ok "ingress: fault did not become active"
check "ingress: an IFB device of ours in B" bash -c "ip -n $B -o link show type ifb | grep -q 'fl[0-9a-f]*i'"
d=$(rtt)
add=$(added)
check "ingress: median round trip $d ms, $add ms added (want 50..55)" in_range "$add" 50 55
finish "$ID"
check "ingress: the IFB device is gone" bash -c "! ip -n $B -o link show type ifb | grep -q ."
check "ingress: nothing left" no_leftovers "$T/leftovers.before"

# ---- exact restore of the operator's tbf (A) and htb (B) ------------------------------------
tc -n "$A" qdisc add dev "$VA" root tbf rate 1gbit burst 128k latency 50ms
tc -n "$B" qdisc add dev "$VB" root handle 1: htb default 10 r2q 1000
tc -n "$B" class add dev "$VB" parent 1: classid 1:10 htb rate 1gbit
tc -n "$B" class add dev "$VB" parent 1: classid 1:20 htb rate 500mbit ceil 1gbit
tc -n "$B" filter add dev "$VB" parent 1: prio 3 protocol ip u32 match ip dport 9 0xffff flowid 1:20
tc -n "$B" qdisc add dev "$VB" clsact
tc -n "$B" filter add dev "$VB" ingress prio 1 protocol ip u32 match ip sport 9 0xffff classid 1:20
tree "$A" "$VA" >"$T/treeA.before"
tree "$B" "$VB" >"$T/treeB.before"
leftovers >"$T/leftovers.operator"
same_tree() { tree "$A" "$VA" | cmp -s - "$T/treeA.before" && tree "$B" "$VB" | cmp -s - "$T/treeB.before"; }
slow() { [ "$(rtt)" -ge $((base + 100)) ]; }
fast() { [ "$(rtt)" -lt $((base + 20)) ]; }
# Both interfaces, both directions: 50 ms each way on A's side plus B's ingress.
both() {
	exp "$1" '{"version":1,"title":"'"$1"'","faults":[
	 {"name":"a","type":"network","target":{"interface":"'"$VA"'","netns":"'"$A"'","direction":"both","protocol":"udp"},"delay":"50ms","duration":"'"$2"'"},
	 {"name":"b","type":"network","target":{"interface":"'"$VB"'","netns":"'"$B"'","direction":"ingress","protocol":"udp"},"delay":"50ms","duration":"'"$2"'"}]}'
}
active2() { [ "$(run_field "$ID" "[x['state'] for x in r['faults']]")" = "['active', 'active']" ]; }
f=$(both restore 8s)
ID=$("$FAULTCTL" run "$f")
wait_for 10 active2
check "restore: the operator's root qdiscs stay in place during the fault" \
	bash -c "tc -j -n $A qdisc show dev $VA | grep -q '\"kind\":\"tbf\",\"handle\":\"8' && tc -j -n $B qdisc show dev $VB | grep -q '\"kind\":\"htb\",\"handle\":\"1:\"'"
d=$(rtt)
check "restore: the fault works on top of them ($d ms round trip)" [ "$d" -ge $((base + 100)) ]
wait_for 20 test "$(run_field "$ID" "r['verdict']")" = passed
check "restore: after revert both trees are back, byte for byte" same_tree
check "restore: after revert nothing of ours is left" no_leftovers "$T/leftovers.operator"

f=$(both abort 60s)
ID=$("$FAULTCTL" run "$f")
wait_for 10 active2
finish "$ID"
check "abort: both trees back, byte for byte" same_tree
check "abort: nothing of ours is left" no_leftovers "$T/leftovers.operator"
check "abort: no delay left" fast

f=$(both kill 60s)
ID=$("$FAULTCTL" run "$f")
wait_for 10 active2
kill9_agent
check "kill: the netem trees outlive the agent (the journal's job)" slow
check "kill: two undo records in the journal" [ "$(journal_count)" -eq 2 ]
start_agent || not_ok "restart faultlined"
check "kill: the restarted agent emptied the journal" [ "$(journal_count)" -eq 0 ]
check "kill: both trees back, byte for byte" same_tree
check "kill: nothing of ours is left" no_leftovers "$T/leftovers.operator"
check "kill: no delay left" fast

f=$(both recover 60s)
ID=$("$FAULTCTL" run "$f")
wait_for 10 active2
kill9_agent
out=$("$FAULTCTL" recover 2>&1); rc=$?
check "recover: offline recovery (rc $rc: $out)" [ "$rc" -eq 0 -a "$(journal_count)" -eq 0 ]
check "recover: both trees back, byte for byte" same_tree
check "recover: nothing of ours is left" no_leftovers "$T/leftovers.operator"
check "recover: no delay left" fast
start_agent || not_ok "restart faultlined"

tc -n "$A" qdisc del dev "$VA" root
tc -n "$B" qdisc del dev "$VB" root
tc -n "$B" qdisc del dev "$VB" clsact
stop_agent
check "end: nothing of ours is left anywhere" no_leftovers "$T/leftovers.before"
t_finish
