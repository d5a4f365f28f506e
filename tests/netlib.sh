# SPDX-License-Identifier: MIT
# Shared by the network fault tests (tests/integration/test_network.sh on this kernel,
# tests/vm/netem.sh in a VM): two network namespaces A and B joined by a veth pair with random
# names and random private addresses (nothing leaves them), traffic between them, and listings
# of what faultline may have created.  Source tests/lib.sh first, then this, then net_setup.
NT=$BUILD/tests/nettraffic
N=${N:-20000} # datagrams per measured stream
PPS=${PPS:-20000}

hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# net_setup: A, B, VA, VB, A4, B4, B4X, A6, B6, B6X; removed by the EXIT trap.  Skips (and
# exits) without root or namespaces.
net_setup() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "network faults need root"
		t_finish
		exit 0
	fi
	A=fl-na-$(hex 4)
	B=fl-nb-$(hex 4)
	VA=fv$(hex 4)a
	VB=fv$(hex 4)b
	if ! ip netns add "$A" 2>"$T/err"; then
		skip "cannot create network namespaces: $(cat "$T/err")"
		t_finish
		exit 0
	fi
	on_exit "ip netns del $A"
	ip netns add "$B"
	on_exit "ip netns del $B"
	NET=10.$((RANDOM % 200 + 20)).$((RANDOM % 250))
	NET6=fd$(hex 1):$((RANDOM % 9000 + 1000)):$((RANDOM % 9000 + 1000)) # no leading zeros
	A4=$NET.1 B4=$NET.2 B4X=$NET.3
	A6=$NET6::1 B6=$NET6::2 B6X=$NET6::3
	ip link add "$VA" netns "$A" type veth peer name "$VB" netns "$B"
	ip -n "$A" addr add "$A4/24" dev "$VA"
	ip -n "$B" addr add "$B4/24" dev "$VB"
	ip -n "$B" addr add "$B4X/24" dev "$VB"
	ip -n "$A" addr add "$A6/64" dev "$VA" nodad
	ip -n "$B" addr add "$B6/64" dev "$VB" nodad
	ip -n "$B" addr add "$B6X/64" dev "$VB" nodad
	for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
	ip -n "$A" link set "$VA" up
	ip -n "$B" link set "$VB" up
	# Resolve the neighbours first: datagrams sent while ARP or ND is pending may be dropped.
	for dst in "$B4" "$B4X" "$B6" "$B6X"; do ip netns exec "$A" "$NT" send "$dst" 9 3; done
	sleep 1
	P1=$((20000 + RANDOM % 10000))
	P2=$((P1 + 1))
}

exp() { printf '%s\n' "$2" >"$T/$1.json"; echo "$T/$1.json"; }
# netexp NAME TARGET IMPAIRMENTS [DURATION]: an experiment with one network fault.
netexp() {
	exp "$1" '{"version":1,"title":"'"$1"'","faults":[{"name":"'"$1"'","type":"network",
	 "target":'"$2"','"$3"',"duration":"'"${4:-60s}"'"}]}'
}
fault_state() { run_field "$1" "r['faults'][0]['state']"; }
fault_status() { run_field "$1" "r['faults'][0]['status']$2"; }
# start EXP: run it and wait until its fault is active; sets ID.
start() {
	ID=$("$FAULTCTL" run "$1") || return 1
	wait_for 10 test "$(fault_state "$ID")" = active
}
finish() { "$FAULTCTL" abort "$1" >/dev/null 2>&1; }
counter() { fault_status "$1" "['hooks']['$2']['counters']['$3']"; }
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# rc_is RC WANT PATTERN TEXT: the exit code is WANT and TEXT matches PATTERN.
rc_is() { [ "$1" -eq "$2" ] && grep -qE -- "$3" <<<"$4"; }

# Streams of N datagrams from A to B: stream_start NAME DST PORT (receiver in B), then
# stream_send DST PORT [SIZE [SPORT]] (sender in A, background), then stream_wait NAME...;
# the receiver's line ends up in $T/NAME.  Receivers are stopped GRACE seconds after the last
# sender is done (whatever is still in flight by then counts as lost), so a slow start of a
# sender cannot cut a measurement short.
SENDERS=()
GRACE=${GRACE:-0.5}
stream_start() {
	local name=$1 dst=$2 port=$3
	rm -f "$T/$name"
	ip netns exec "$B" timeout 300 "$NT" recv "$dst" "$port" "$N" 60000 >"$T/$name" &
	eval "R_$name=\$!"
	wait_for 5 grep -q ready "$T/$name"
}
stream_send() {
	ip netns exec "$A" "$NT" send "$1" "$2" "$N" "${3:-64}" "$PPS" ${4:+"$4"} &
	SENDERS+=($!)
}
stream_wait() {
	local p name pid
	for p in "${SENDERS[@]}"; do wait "$p"; done
	SENDERS=()
	sleep "$GRACE"
	for name in "$@"; do
		eval "pid=\$R_$name"
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
	done
}
field() { sed -nE "s/(^|.* )$2 ([0-9]+).*/\2/p" "$T/$1"; }
# In hundredths of a percent of N: datagrams that did not arrive intact, or arrived corrupted.
lost_bp() { echo $(((N - $(field "$1" unique)) * 10000 / N)); }
corrupt_bp() { echo $(($(field "$1" corrupted) * 10000 / N)); }
# measure DST1 PORT1 DST2 PORT2 [SIZE]: two streams at once, into $T/s1 and $T/s2.
measure() {
	SENDERS=()
	stream_start s1 "$1" "$2"
	stream_start s2 "$3" "$4"
	stream_send "$1" "$2" "${5:-64}"
	stream_send "$3" "$4" "${5:-64}"
	stream_wait s1 s2
}
tcp_ok() { ip netns exec "$A" "$NT" connect "$1" "$2" "${3:-1000}"; }

# What faultline may have created: qdiscs, filters, IFB devices, programs, tcx links.  Only
# ours: the namespaces' own devices, and the BPF programs and links the running agent holds
# (its /proc fdinfo).  A program nobody holds and nothing attaches is gone, and a tcx link
# dies with the process that holds it, so nothing escapes these lists; another agent on the
# same host (a colleague's test, a benchmark) does not show up in them.
agent_bpf() {
	local f
	[ -n "${AGENT_PID:-}" ] && [ -d "/proc/$AGENT_PID" ] || return 0
	for f in /proc/"$AGENT_PID"/fdinfo/*; do
		awk '/^prog_id:/ { p = $2 } /^link_id:/ { l = $2 } /^link_type:/ { t = $2 }
			END { if (l != "") print "agent holds link " l " (" t ")"
			      else if (p != "") print "agent holds program " p }' "$f" 2>/dev/null
	done | sort
}
leftovers() {
	local ns d
	for ns in "$A" "$B"; do
		echo "== $ns"
		tc -n "$ns" qdisc show
		for d in "$VA" "$VB"; do
			ip -n "$ns" link show "$d" >/dev/null 2>&1 || continue
			tc -n "$ns" filter show dev "$d" ingress
			tc -n "$ns" filter show dev "$d" egress
		done
		ip -n "$ns" -o link show type ifb
	done
	echo "== programs and links"
	agent_bpf
}
# no_leftovers FILE: what leftovers lists now is what FILE holds (no process substitution:
# the VM has no /dev/fd).
no_leftovers() {
	leftovers >"$T/leftovers.now"
	diff "$1" "$T/leftovers.now"
}
# tree NS DEV: the interface's qdiscs, classes and filters as tc -j prints them.
tree() {
	tc -j -n "$1" qdisc show dev "$2"
	tc -j -n "$1" class show dev "$2"
	tc -j -n "$1" filter show dev "$2" ingress
	tc -j -n "$1" filter show dev "$2" egress
	tc -j -n "$1" filter show dev "$2" parent 1: 2>/dev/null
}
