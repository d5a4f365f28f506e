#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Network faults on this kernel, with real traffic between two network namespaces joined by a
# veth pair with random names (nothing leaves them): the bpf engine's loss, blackhole and
# corruption, targeting by port, CIDR (IPv4 and IPv6) and protocol, exclusions, the SSH
# exclusion, ingress, a namespace named by a process; exact restore of an operator's qdisc
# and filter tree (byte for byte in tc -j) after revert, abort, SIGKILL and restart, and
# offline recovery, through a tcx link and through clsact + cls_bpf; everything faultline
# creates is listed before and after.  netem itself is tested in a VM (test_netem_vm.sh);
# here a kernel without sch_netem must fail preflight with a clear message.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netlib.sh"
net_setup
# The bpf engine is what this file tests; on a kernel with netem, "auto" would pick netem.
if ip netns exec "$A" unshare -n tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
	HAVE_NETEM=1
	BPF=',"engine":"bpf"'
else
	HAVE_NETEM=
	BPF=
fi
# tcx links came with Linux 6.6.
kv=$(uname -r)
if [ "${kv%%.*}" -gt 6 ] || { [ "${kv%%.*}" -eq 6 ] && [ "$(cut -d. -f2 <<<"$kv")" -ge 6 ]; }; then
	HAVE_TCX=1
	MODES="tcx netlink"
else
	HAVE_TCX=
	MODES=netlink
fi

leftovers >"$T/leftovers.before"
# The first part attaches through tcx where the kernel has it (FAULTLINE_TC_ATTACH=tcx);
# the default, cls_bpf over netlink, is checked by the corruption part below.
if [ -n "$HAVE_TCX" ]; then
	FAULTLINE_TC_ATTACH=tcx start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
else
	start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
fi

# ---- baseline: the veth pair itself loses nothing ------------------------------------------
measure "$B4" "$P1" "$B4" "$P2"
check "baseline: no loss without a fault ($(cat "$T/s1"))" \
	[ "$(field s1 unique)" -eq "$N" -a "$(field s2 unique)" -eq "$N" ]

# ---- plan shows the exact match set, exclusions included ------------------------------------
f=$(netexp plan '{"interface":"'"$VA"'","netns":"'"$A"'","protocol":"udp","ports":['"$P1"',"40000-40009"],
 "destinations":["'"$B4"'/32","'"$NET6"'::/64"],"exclude":{"destinations":["'"$B4X"'"],"ports":[53]}}' '"loss":30')
out=$("$FAULTCTL" plan "$f" 2>&1); rc=$?
check "plan: exit 0 (rc $rc: $out)" [ "$rc" -eq 0 ]
check "plan: match set" grep -qF '"ports":['"$P1"',"40000-40009"]' <<<"$out"
check "plan: destinations" grep -qF '"destinations":["'"$B4"'/32","'"$NET6"'::/64"]' <<<"$out"
check "plan: exclusions" grep -qF '"destinations":["'"$B4X"'/32"],"ports":[53]' <<<"$out"
check "plan: SSH exclusion shown" grep -qF '"ssh":"tcp port 22, either end"' <<<"$out"
if [ -z "$HAVE_NETEM" ]; then
	check "plan: engine auto picks bpf on a kernel without netem" grep -q 'engine: bpf' <<<"$out"
fi
check "plan: claims the interface and its direction" grep -q "claims netdev:[0-9]*:[0-9]*:egress" <<<"$out"
check "plan: nothing applied" no_leftovers "$T/leftovers.before"

# ---- loss: 30% requested, 27..33% measured on the targeted port, 0 elsewhere --------------
f=$(netexp loss '{"interface":"'"$VA"'","netns":"'"$A"'","protocol":"udp","ports":['"$P1"']}' '"loss":30'"$BPF")
start "$f" || not_ok "loss: fault did not become active"
measure "$B4" "$P1" "$B4" "$P2"
l1=$(lost_bp s1) l2=$(lost_bp s2)
check "loss: targeted port lost $l1/10000 (want 2700..3300)" in_range "$l1" 2700 3300
check "loss: other port lost $l2/10000 (want 0)" [ "$l2" -eq 0 ]
m=$(counter "$ID" egress matched) d=$(counter "$ID" egress dropped)
check "loss: counters live in status (matched $m, dropped $d)" \
	[ "$m" -eq "$N" -a "$d" -eq $((N - $(field s1 unique))) ]
if [ -n "$HAVE_TCX" ]; then
	has_tcx_link() { agent_bpf | grep -q '(tcx)'; }
	check "loss: attached through a tcx link" has_tcx_link
else
	check "loss: no tcx before Linux 6.6: attached through clsact" \
		bash -c "tc -n $A filter show dev $VA egress | grep -q faultline:"
fi
finish "$ID"
check "loss: reverted" [ "$(fault_state "$ID")" = reverted ]
check "loss: counters kept in the run's record" \
	grep -q '"dropped": '"$d" "$FAULTLINE_STATE_DIR/runs/$ID.json"
check "loss: nothing left" no_leftovers "$T/leftovers.before"

# ---- CIDR targeting (IPv4 and IPv6) and exclusions -----------------------------------------
f=$(netexp cidr '{"interface":"'"$VA"'","netns":"'"$A"'","destinations":["'"$B4X"'/32","'"$B6X"'/128"]}' '"blackhole":true'"$BPF")
start "$f" || not_ok "cidr: fault did not become active"
measure "$B4X" "$P1" "$B4" "$P1"
check "cidr v4: the targeted address lost all ($(lost_bp s1))" [ "$(lost_bp s1)" -eq 10000 ]
check "cidr v4: the other address lost none ($(lost_bp s2))" [ "$(lost_bp s2)" -eq 0 ]
measure "$B6X" "$P1" "$B6" "$P1"
check "cidr v6: the targeted address lost all ($(lost_bp s1))" [ "$(lost_bp s1)" -eq 10000 ]
check "cidr v6: the other address lost none ($(lost_bp s2))" [ "$(lost_bp s2)" -eq 0 ]
finish "$ID"

f=$(netexp excl '{"interface":"'"$VA"'","netns":"'"$A"'","protocol":"udp","destinations":["'"$NET"'.0/24"],
 "exclude":{"destinations":["'"$B4X"'"],"ports":['"$P2"']}}' '"blackhole":true'"$BPF")
start "$f" || not_ok "exclude: fault did not become active"
measure "$B4" "$P1" "$B4X" "$P1"
check "exclude: the matching address lost all" [ "$(lost_bp s1)" -eq 10000 ]
check "exclude: the excluded address lost none" [ "$(lost_bp s2)" -eq 0 ]
measure "$B4" "$P1" "$B4" "$P2"
check "exclude: the excluded port lost none" [ "$(lost_bp s2)" -eq 0 ]
x=$(counter "$ID" egress excluded)
check "exclude: counted as excluded ($x)" [ "$x" -ge $((2 * N)) ]
finish "$ID"

# ---- SSH is never cut, unless the target allows it -----------------------------------------
ip netns exec "$B" "$NT" listen "$B4" 22 >"$T/ssh" &
track $!
ip netns exec "$B" "$NT" listen "$B4" 2222 >"$T/ssh2" &
track $!
wait_for 5 grep -q ready "$T/ssh"
wait_for 5 grep -q ready "$T/ssh2"
check "ssh: port 22 reachable before" tcp_ok "$B4" 22
f=$(netexp ssh '{"interface":"'"$VA"'","netns":"'"$A"'","direction":"both"}' '"blackhole":true'"$BPF")
start "$f" || not_ok "ssh: fault did not become active"
check "ssh: a partition (blackhole, both directions) still lets TCP 22 through" tcp_ok "$B4" 22 2000
check "ssh: ... while other TCP is cut" bash -c "! ip netns exec $A $NT connect $B4 2222 500"
finish "$ID"
f=$(netexp ssh-allowed '{"interface":"'"$VA"'","netns":"'"$A"'","allow_ssh":true}' '"blackhole":true'"$BPF")
start "$f" || not_ok "ssh: allowed fault did not become active"
check "ssh: with allow_ssh the partition cuts TCP 22 too" bash -c "! ip netns exec $A $NT connect $B4 22 500"
finish "$ID"
check "ssh: port 22 reachable after" tcp_ok "$B4" 22

# ---- protocol, and a namespace named by a process ------------------------------------------
ip netns exec "$A" sleep 600 &
NSPID=$!
track "$NSPID"
f=$(netexp proto '{"interface":"'"$VA"'","netns":{"pid":'"$NSPID"'},"protocol":"tcp"}' '"blackhole":true'"$BPF")
start "$f" || not_ok "netns by pid: fault did not become active"
measure "$B4" "$P1" "$B4" "$P2"
check "protocol tcp: UDP untouched" [ "$(lost_bp s1)" -eq 0 ]
check "protocol tcp (netns by pid): TCP cut" bash -c "! ip netns exec $A $NT connect $B4 2222 500"
finish "$ID"

# ---- corruption on ingress, through clsact + cls_bpf (the default: the netlink path) -------
stop_agent
start_agent || not_ok "restart faultlined (default attachment)"
f=$(netexp corrupt '{"interface":"'"$VB"'","netns":"'"$B"'","direction":"ingress","protocol":"udp",
 "source_ports":['"$P1"']}' '"corrupt":30'"$BPF")
start "$f" || not_ok "corrupt: fault did not become active"
check "corrupt: attached as cls_bpf on clsact ingress (the default)" \
	bash -c "tc -n $B filter show dev $VB ingress | grep -q 'faultline:'"
measure "$B4" "$P1" "$B4" "$P2" 200
c1=$(corrupt_bp s1) c2=$(corrupt_bp s2)
check "corrupt: $c1/10000 of the targeted datagrams arrived corrupted (want 2700..3300)" \
	in_range "$c1" 2700 3300
check "corrupt: all of them arrived, checksums kept consistent ($(tail -n1 "$T/s1"))" \
	[ "$(field s1 received)" -eq "$N" ]
check "corrupt: other port intact ($c2)" [ "$c2" -eq 0 ]
finish "$ID"
check "corrupt: nothing left" no_leftovers "$T/leftovers.before"

# ---- exact restore of an operator's tree ---------------------------------------------------
# HTB with two classes and a u32 filter at the root, clsact with u32 filters on both hooks.
operator_tree() {
	tc -n "$A" qdisc add dev "$VA" root handle 1: htb default 10 r2q 1000
	tc -n "$A" class add dev "$VA" parent 1: classid 1:10 htb rate 1gbit
	tc -n "$A" class add dev "$VA" parent 1: classid 1:20 htb rate 500mbit ceil 1gbit
	tc -n "$A" filter add dev "$VA" parent 1: prio 3 protocol ip u32 match ip dport 9 0xffff flowid 1:20
	tc -n "$A" qdisc add dev "$VA" clsact
	tc -n "$A" filter add dev "$VA" egress prio 7 protocol ip u32 match ip dport 9 0xffff classid 1:20
	tc -n "$A" filter add dev "$VA" ingress prio 1 protocol ip u32 match ip sport 9 0xffff classid 1:20
	tc -n "$B" qdisc add dev "$VB" root tbf rate 1gbit burst 128k latency 50ms
}
operator_tree
tree "$A" "$VA" >"$T/treeA.before"
tree "$B" "$VB" >"$T/treeB.before"
leftovers >"$T/leftovers.operator"
same_tree() { tree "$A" "$VA" | cmp -s - "$T/treeA.before" && tree "$B" "$VB" | cmp -s - "$T/treeB.before"; }
lossy() { # the fault is in force: UDP to P1 loses everything
	measure "$B4" "$P1" "$B4" "$P2"
	[ "$(lost_bp s1)" -eq 10000 ] && [ "$(lost_bp s2)" -eq 0 ]
}
lossy_quick() { # 2000 datagrams: all lost on P1, none on P2?
	local n=$N r
	N=2000
	lossy
	r=$?
	N=$n
	return $r
}
clean() { # 2000 datagrams on each port, none lost
	local n=$N r
	N=2000
	measure "$B4" "$P1" "$B4" "$P2"
	[ "$(lost_bp s1)" -eq 0 ] && [ "$(lost_bp s2)" -eq 0 ]
	r=$?
	N=$n
	return $r
}
RESTORE_TARGET='{"interface":"'"$VA"'","netns":"'"$A"'","direction":"both","protocol":"udp","ports":['"$P1"']}'

[ -n "$HAVE_TCX" ] || skip "no tcx before Linux 6.6: restore tested through clsact only"
for mode in $MODES; do
	stop_agent
	FAULTLINE_TC_ATTACH=$mode start_agent || not_ok "restart faultlined ($mode)"
	f=$(netexp "restore-$mode" "$RESTORE_TARGET" '"blackhole":true'"$BPF" 5s)
	start "$f" || not_ok "$mode: fault did not become active"
	check "$mode: operator's tree still in place while the fault runs" \
		bash -c "head -n1 $T/treeA.before >$T/qdiscs && tc -j -n $A qdisc show dev $VA | cmp -s - $T/qdiscs"
	check "$mode: the fault works with the operator's tree in place" lossy_quick
	wait_for 15 test "$(fault_state "$ID")" = reverted
	check "$mode: after revert the tree is back, byte for byte" same_tree
	check "$mode: the fault says so (restored: true)" \
		test "$(run_field "$ID" "r['faults'][0]['status']['restored']")" = True
	check "$mode: after revert nothing of ours is left" no_leftovers "$T/leftovers.operator"

	f=$(netexp "abort-$mode" "$RESTORE_TARGET" '"blackhole":true'"$BPF")
	start "$f" || not_ok "$mode: abort fault did not become active"
	finish "$ID"
	check "$mode: after abort the tree is back, byte for byte" same_tree
	check "$mode: after abort nothing of ours is left" no_leftovers "$T/leftovers.operator"
	check "$mode: after abort traffic flows" clean

	f=$(netexp "kill-$mode" "$RESTORE_TARGET" '"blackhole":true'"$BPF")
	start "$f" || not_ok "$mode: kill fault did not become active"
	kill9_agent
	if [ "$mode" = tcx ]; then
		# The link belonged to the dead agent: the fault went with it.
		check "tcx: SIGKILL of the agent removes the fault at once" clean
		check "tcx: ... and the tree is as before" same_tree
	else
		check "netlink: after SIGKILL the filter is still there (the journal's job)" lossy_quick
	fi
	check "$mode: one undo record in the journal" [ "$(journal_count)" -eq 1 ]
	FAULTLINE_TC_ATTACH=$mode start_agent || not_ok "restart faultlined ($mode)"
	check "$mode: restart recovered the journal" [ "$(journal_count)" -eq 0 ]
	check "$mode: after SIGKILL and restart the tree is back, byte for byte" same_tree
	check "$mode: after SIGKILL and restart nothing of ours is left" \
		no_leftovers "$T/leftovers.operator"
	check "$mode: after SIGKILL and restart traffic flows" clean

	f=$(netexp "recover-$mode" "$RESTORE_TARGET" '"blackhole":true'"$BPF")
	start "$f" || not_ok "$mode: recover fault did not become active"
	kill9_agent
	out=$("$FAULTCTL" recover 2>&1); rc=$?
	check "$mode: faultctl recover offline (rc $rc: $out)" [ "$rc" -eq 0 -a "$(journal_count)" -eq 0 ]
	check "$mode: after offline recovery the tree is back, byte for byte" same_tree
	check "$mode: after offline recovery nothing of ours is left" \
		no_leftovers "$T/leftovers.operator"
	FAULTLINE_TC_ATTACH=$mode start_agent || not_ok "restart faultlined ($mode)"
done
tc -n "$A" qdisc del dev "$VA" root
tc -n "$A" qdisc del dev "$VA" clsact
tc -n "$B" qdisc del dev "$VB" root

# ---- conflicts -----------------------------------------------------------------------------
f=$(netexp hold '{"interface":"'"$VA"'","netns":"'"$A"'","ports":['"$P1"']}' '"loss":1'"$BPF")
start "$f" || not_ok "conflict: first fault did not become active"
first=$ID
f=$(netexp second '{"interface":"'"$VA"'","netns":"'"$A"'","ports":['"$P2"']}' '"loss":1')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "conflict: a second experiment on the same interface is refused (rc $rc)" \
	rc_is "$rc" 3 "$first" "$out"
f=$(netexp other-dir '{"interface":"'"$VA"'","netns":"'"$A"'","direction":"ingress"}' '"loss":1')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "conflict: ... also for the other direction (rc $rc)" [ "$rc" -eq 3 ]
finish "$first"
two() { # two faults in one experiment: windows $1 and $2 (start_after,duration)
	exp two '{"version":1,"title":"two","faults":[
	 {"name":"a","type":"network","target":{"interface":"'"$VA"'","netns":"'"$A"'"},"loss":1,"start_after":"'"$1"'","duration":"'"$2"'"},
	 {"name":"b","type":"network","target":{"interface":"'"$VA"'","netns":"'"$A"'"},"corrupt":1,"start_after":"'"$3"'","duration":"'"$4"'"}]}'
}
out=$("$FAULTCTL" plan "$(two 0s 10s 5s 10s)" 2>&1); rc=$?
check "one experiment: overlapping faults on one interface are refused (rc $rc)" \
	rc_is "$rc" 3 "overlapping times" "$out"
out=$("$FAULTCTL" plan "$(two 0s 5s 5s 5s)" 2>&1); rc=$?
check "one experiment: faults at disjoint times may share it (rc $rc: $out)" [ "$rc" -eq 0 ]

# ---- no netem on this kernel: a clear preflight error, nothing applied ---------------------
if [ -n "$HAVE_NETEM" ]; then
	skip "this kernel has netem: the preflight error is for kernels without it (netem itself is tested by test_netem_vm)"
else
	f=$(netexp delay '{"interface":"'"$VA"'","netns":"'"$A"'"}' '"delay":"100ms"')
	out=$("$FAULTCTL" run --wait "$f" 2>&1); rc=$?
	check "no netem: a delay fails preflight (rc $rc)" [ "$rc" -eq 3 ]
	check "no netem: the message names the missing feature ($out)" \
		grep -q "'delay' needs the netem qdisc (sch_netem, CONFIG_NET_SCH_NETEM)" <<<"$out"
	f=$(netexp netem-loss '{"interface":"'"$VA"'","netns":"'"$A"'"}' '"loss":5,"engine":"netem"')
	out=$("$FAULTCTL" plan "$f" 2>&1); rc=$?
	check "no netem: engine netem fails preflight by name (rc $rc: $out)" \
		rc_is "$rc" 3 'engine "netem" needs the netem qdisc' "$out"
	check "no netem: nothing applied" no_leftovers "$T/leftovers.before"
fi

stop_agent
check "end: nothing of ours is left anywhere" no_leftovers "$T/leftovers.before"
t_finish
