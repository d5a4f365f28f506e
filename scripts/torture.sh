#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crash torture (issue #6).  Each round starts faultlined, starts a randomly composed
# experiment, and SIGKILLs the agent: either at a random instant, or at a named crash point
# (FAULTLINE_CRASH_AT, see agent/crashpoint.h and docs/reliability.md) such as "after the undo
# record is durable, before the fault is applied".  Then it recovers, by restarting the agent or
# by `faultctl recover` with no agent (sometimes killing that recovery halfway and recovering
# again), and checks that nothing of faultline's is left: no stopped process, stressor worker,
# cgroup, fill or IO file, journal record, tc filter, BPF attachment or IFB device, and that the
# operator's own qdisc is untouched.  A leftover fails the round and prints what was left, the
# experiment, and where the kill landed.
#
#   scripts/torture.sh [N]     N rounds (default $TORTURE_N, else 24)
#   TORTURE_SEED=S             replay a run's random choices (timing still differs)
#   TORTURE_KINDS="pause io"   only these kinds in the mix (default: all of KINDS below)
#   TORTURE_ALWAYS="netem"     these kinds of the mix in every round
#   TORTURE_POINT_OFFSET=K     the crash-point rounds start at the Kth point (default 0), so
#                              that short runs can cover the later ones
#   BUILD=DIR                  faultlined and faultctl from DIR (default build)
#   FAULTLINED=, FAULTCTL=     or name the two binaries (tests/lib.sh)
#
# `make torture N=200` runs it long; make test runs tests/integration/test_torture.sh, a short
# run.  Ends with "N passed, N failed[, N skipped]".
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

ROUNDS=${1:-${TORTURE_N:-24}}
SEED=${TORTURE_SEED:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$SEED
echo "# torture: $ROUNDS rounds, TORTURE_SEED=$SEED"
CGROOT=/sys/fs/cgroup

rnd() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }

# ---- the random mix ---------------------------------------------------------------------------
# One word per fault kind.  For kind K: gen_K NAME sets FAULT to a fault object (JSON) named
# NAME; optional setup_K (false: the kind is left out, with a note), leftovers_K (prints one
# line per leftover) and expect_K NAME (a regex that the leftovers of fault NAME match when
# nothing recovers it: the control round checks that the checks see it).  Adding a kind to the
# mix is one more word here plus its gen_K.
KINDS=(pause cpu memory disk io network netem)
# TORTURE_KINDS="pause cpu" narrows the mix (the sanitizer run, a bisection).
[ -n "${TORTURE_KINDS:-}" ] && read -ra KINDS <<<"$TORTURE_KINDS"
# TORTURE_ALWAYS="netem": these kinds of the mix are in every round (the VM run).
ALWAYS=()
[ -n "${TORTURE_ALWAYS:-}" ] && read -ra ALWAYS <<<"$TORTURE_ALWAYS"

timing() { printf '"start_after":"%dms","duration":"%dms"' "$(rnd 0 300)" "$(rnd 100 700)"; }

# process.pause: two targets per fault, so a crash can land between the two SIGSTOPs.
setup_pause() {
	local t
	TARGETS=()
	for t in fl-tort-a fl-tort-b; do
		start_target "$t" || return 1
		TARGETS+=("$TARGET_PID")
	done
}
gen_pause() { FAULT='{"name":"'$1'","type":"process.pause","target":{"cmdline":"^fl-tort-[ab] "},'$(timing)'}'; }
leftovers_pause() {
	local p
	for p in "${TARGETS[@]}"; do
		is_stopped "$p" && echo "target $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) is still stopped"
		is_gone "$p" && echo "target $p is gone: something killed it"
	done
}

expect_pause() { echo 'is still stopped'; }

setup_cpu() { grep -qw cgroup2 /proc/mounts || grep -qw cgroup /proc/mounts; }
expect_cpu() { echo "cgroup [^ ]*-$1 "; }
gen_cpu() {
	local mode=per_core
	((RANDOM % 3 == 0)) && mode=host
	FAULT='{"name":"'$1'","type":"cpu.stress","load":'$(rnd 10 40)',"cores":1,"mode":"'$mode'",'$(timing)'}'
}
setup_memory() { setup_cpu; }
expect_memory() { echo "cgroup [^ ]*-$1 "; }
gen_memory() { FAULT='{"name":"'$1'","type":"memory.stress","size":"'$(rnd 8 24)'MiB",'$(timing)'}'; }

setup_disk() {
	mkdir -p "$T/fill" && mount -t tmpfs -o size=32m fl-tort-fill "$T/fill" &&
		on_exit "umount -l '$T/fill'"
}
gen_disk() { FAULT='{"name":"'$1'","type":"disk.fill","path":"'"$T/fill"'","size":"'$(rnd 1 8)'MiB",'$(timing)'}'; }
expect_disk() { echo "file $T/fill/\\.faultline-fill-[0-9a-f]*-$1\$"; }
leftovers_disk() { find "$T/fill" -mindepth 1 2>/dev/null | sed 's/^/file /'; }

setup_io() {
	mkdir -p "$T/io" && mount -t tmpfs -o size=32m fl-tort-io "$T/io" &&
		on_exit "umount -l '$T/io'"
}
gen_io() {
	local modes=(write read mixed)
	FAULT='{"name":"'$1'","type":"io.stress","path":"'"$T/io"'","workers":'$(rnd 1 2)',"mode":"'${modes[RANDOM % 3]}'","block_size":"64KiB","file_size":"1MiB",'$(timing)'}'
}
expect_io() { echo "file $T/io/\\.faultline-io-[0-9a-f]*-$1-"; }
leftovers_io() { find "$T/io" -mindepth 1 2>/dev/null | sed 's/^/file /'; }

# network (engine bpf) and netem (engine netem), both loss 100%: each kind has a veth pair of
# its own between two network namespaces of ours (two network faults of one experiment on
# one interface at overlapping times are refused); the fault is on one end, whose root qdisc
# is the operator's tbf.  The bpf engine attaches with netlink (cls_bpf on clsact, the
# default, which outlives a killed agent until recovery) or, in half the rounds where the
# kernel has tcx, through a tcx link (FAULTLINE_TC_ATTACH=tcx; it dies with the agent).
# bpftool here may not show tcx links, so the traffic says whether anything still drops: a
# ping across the pair.  The netem engine adds an IFB device in the fault's namespace, which
# leftovers_net looks for.  netem joins the mix only where the kernel has sch_netem: in the VM
# (tests/vm/torture.sh), not on the host make test runs on.
innet() { nsenter -t "$1" -n "${@:2}"; }
# tcx links came with Linux 6.6.
kv=$(uname -r)
HAVE_TCX=
if [ "${kv%%.*}" -gt 6 ] || { [ "${kv%%.*}" -eq 6 ] && [ "$(cut -d. -f2 <<<"$kv")" -ge 6 ]; }; then
	HAVE_TCX=1
fi
declare -A NET_NS1=() NET_NS2=() NET_DEV=() NET_QDISC=() NET_NET=()
NET_KINDS=()
# setup_net KIND ENGINE SUBNET: the pair for KIND (10.SUBNET.0.1/30 on our end).
setup_net() {
	local k=$1 engine=$2 sub=$3 probe ns1 ns2 dev
	command -v tc >/dev/null && command -v nsenter >/dev/null && command -v unshare >/dev/null || return 1
	probe='{"version":1,"title":"p","faults":[{"name":"n","type":"network","target":{"interface":"lo"},"engine":"'$engine'","loss":10,"duration":"1s"}]}'
	"$FAULTCTL" validate - <<<"$probe" >/dev/null 2>&1 || return 1
	unshare -n sleep 100000 &
	ns1=$!
	track "$ns1"
	unshare -n sleep 100000 &
	ns2=$!
	track "$ns2"
	wait_for 5 bash -c "[ \"\$(readlink /proc/$ns1/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" || return 1
	wait_for 5 bash -c "[ \"\$(readlink /proc/$ns2/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" || return 1
	dev=flt$((RANDOM % 10000))
	ip link add "$dev" type veth peer name "${dev}p" || return 1
	ip link set "$dev" netns "$ns1" && ip link set "${dev}p" netns "$ns2" || return 1
	innet "$ns1" ip addr add "10.$sub.0.1/30" dev "$dev" && innet "$ns1" ip link set "$dev" up &&
		innet "$ns2" ip addr add "10.$sub.0.2/30" dev "${dev}p" &&
		innet "$ns2" ip link set "${dev}p" up || return 1
	innet "$ns1" tc qdisc add dev "$dev" root handle 1: tbf rate 100mbit burst 32k latency 50ms || return 1
	NET_NS1[$k]=$ns1 NET_NS2[$k]=$ns2 NET_DEV[$k]=$dev NET_NET[$k]=$sub
	NET_QDISC[$k]=$(innet "$ns1" tc -j qdisc show dev "$dev")
	NET_KINDS+=("$k")
	wait_for 5 net_clear "$k" || return 1
}
net_clear_once() {
	innet "${NET_NS2[$1]}" busybox ping -q -c 1 -W 1 "10.${NET_NET[$1]}.0.1" >/dev/null 2>&1
}
# A leftover drops every packet (loss 100%), so retrying only forgives a slow machine.
net_clear() { wait_for 3 net_clear_once "$1"; }
# gen_net KIND NAME ENGINE [EXTRA]: a loss 100% fault on KIND's pair.
gen_net() {
	local dirs=(egress ingress both)
	FAULT='{"name":"'$2'","type":"network","target":{"interface":"'"${NET_DEV[$1]}"'","netns":{"pid":'${NET_NS1[$1]}'},"direction":"'${dirs[RANDOM % 3]}'"},"engine":"'$3'","loss":100'${4:+,$4}','$(timing)'}'
}
leftovers_net() {
	local k=$1 now d ns1=${NET_NS1[$1]} dev=${NET_DEV[$1]}
	now=$(innet "$ns1" tc -j qdisc show dev "$dev")
	[ "$now" = "${NET_QDISC[$k]}" ] || echo "qdiscs of $dev changed: before ${NET_QDISC[$k]}, now $now"
	for d in ingress egress; do
		innet "$ns1" tc filter show dev "$dev" "$d" 2>/dev/null | grep -q . &&
			echo "tc filter on $dev $d: $(innet "$ns1" tc filter show dev "$dev" "$d" | tr '\n' ' ')"
	done
	innet "$ns1" ip -o link show type ifb 2>/dev/null | sed 's/^/ifb device /'
	net_clear "$k" || echo "ping across $dev fails: something still drops packets"
}
# Put KIND's pair back as set up: no clsact, no IFB device, the operator's tbf as root.
reset_net() {
	local ns1=${NET_NS1[$1]} dev=${NET_DEV[$1]} ifb
	innet "$ns1" tc qdisc del dev "$dev" clsact 2>/dev/null
	innet "$ns1" tc qdisc del dev "$dev" ingress 2>/dev/null
	innet "$ns1" tc qdisc del dev "$dev" root 2>/dev/null
	innet "$ns1" tc qdisc add dev "$dev" root handle 1: tbf rate 100mbit burst 32k latency 50ms
	for ifb in $(innet "$ns1" ip -o link show type ifb 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		innet "$ns1" ip link del "$ifb"
	done
}

setup_network() { setup_net network bpf 213; }
gen_network() { gen_net network "$1" bpf; }
expect_network() { echo "ping across ${NET_DEV[network]} fails"; }
leftovers_network() { leftovers_net network; }

# The netem engine, where the kernel has sch_netem (a namespace of its own tries one).
setup_netem() {
	unshare -n tc qdisc add dev lo root netem delay 1ms >/dev/null 2>&1 || return 1
	setup_net netem netem 214
}
gen_netem() { gen_net netem "$1" netem '"delay":"'$(rnd 5 50)'ms"'; }
expect_netem() { echo "ping across ${NET_DEV[netem]} fails"; }
leftovers_netem() { leftovers_net netem; }

# What any kind may leave: journal files, workers, cgroups.  Only this round's: other tests
# (or a colleague's agent) on the same host may have workers and cgroups of their own.  A
# worker names its agent in its arguments (--parent PID); cgroups are faultline/RUN-FAULT.
our_workers() {
	local d pid c s a id
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		c=$(cat "$d/comm" 2>/dev/null) || continue
		case $c in faultline-*) ;; *) continue ;; esac
		s=$(proc_state "$pid")
		[ "$s" != Z ] && [ "$s" != gone ] || continue
		a=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)
		for id in "${ROUND_AGENTS[@]}"; do
			case "$a " in *" --parent $id "*) echo "worker $pid ($c, state $s) of agent $id" ;; esac
		done
	done
}
no_workers() { [ -z "$(our_workers)" ]; }
leftovers_common() {
	local d id
	find "$FAULTLINE_STATE_DIR/journal" -type f 2>/dev/null | sed 's/^/journal file /'
	find "$FAULTLINE_STATE_DIR/runs" -name '*.tmp' 2>/dev/null | sed 's/^/interrupted run record /'
	# SIGKILL (from the agent's death, or recovery) waits for a worker in uninterruptible IO.
	wait_for 3 no_workers
	our_workers
	for id in "${ROUND_RUNS[@]}"; do
		for d in "$CGROOT"/faultline/"$id"-* "$CGROOT"/*/faultline/"$id"-*; do
			[ -d "$d" ] && echo "cgroup $d (holds: $(tr '\n' ' ' <"$d/cgroup.procs" 2>/dev/null))"
		done
	done
	is_running "$PROBE_PID" || echo "the probe's target $PROBE_PID is not running"
}

leftovers() {
	local k
	leftovers_common
	for k in "${MIX[@]}"; do
		declare -F "leftovers_$k" >/dev/null && "leftovers_$k"
	done
}

# Put the host back after a failed round, so that later rounds are judged on their own.
force_clean() {
	local d p k
	FAULTLINE_CRASH_AT= "$FAULTCTL" recover >/dev/null 2>&1
	for p in "${TARGETS[@]}"; do kill -CONT "$p" 2>/dev/null; done
	for d in /proc/[0-9]*; do
		case $(cat "$d/comm" 2>/dev/null) in faultline-*) ;; *) continue ;; esac
		for p in "${ROUND_AGENTS[@]}"; do
			case "$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) " in
			*" --parent $p "*) kill -KILL "${d#/proc/}" 2>/dev/null ;;
			esac
		done
	done
	for p in "${ROUND_RUNS[@]}"; do
		for d in "$CGROOT"/faultline/"$p"-* "$CGROOT"/*/faultline/"$p"-*; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
	done
	find "$T/fill" "$T/io" -mindepth 1 -delete 2>/dev/null
	rm -f "$FAULTLINE_STATE_DIR"/journal/*
	for k in "${NET_KINDS[@]}"; do reset_net "$k"; done
}

# ---- set-up -------------------------------------------------------------------------------------
mkdir -p "$T/state"
mount -t tmpfs -o size=16m fl-tort-state "$T/state" && on_exit "umount -l '$T/state'"
export FAULTLINE_STATE_DIR=$T/state/state
# Runs first at exit: whatever a killed agent left.
on_exit '[ -z "$AGENT_PID" ] || kill_agent TERM; FAULTLINE_CRASH_AT= "$FAULTCTL" recover >/dev/null 2>&1'
TARGETS=()
start_target fl-tort-probe || { not_ok "start the probe's target"; t_finish; exit 1; }
PROBE_PID=$TARGET_PID
MIX=()
for k in "${KINDS[@]}"; do
	if ! declare -F "setup_$k" >/dev/null || "setup_$k"; then
		MIX+=("$k")
	else
		skip "fault kind $k left out of the mix: not supported here"
	fi
done
[ ${#MIX[@]} -gt 0 ] || { not_ok "no fault kind can run here"; t_finish; exit 1; }
echo "# mix: ${MIX[*]}"

# Named crash points (agent/crashpoint.h), in the order a run reaches them.
POINTS=(journal-write durable-write journal-written apply-mid applied revert revert-mid reverted
	journal-removed after-phase run-end)
declare -A fired=() tried=()
POINT_OFFSET=${TORTURE_POINT_OFFSET:-0}
[[ $POINT_OFFSET =~ ^[0-9]+$ ]] || { not_ok "TORTURE_POINT_OFFSET=$POINT_OFFSET: not a number"; t_finish; exit 1; }
ROUND_AGENTS=() ROUND_RUNS=()
kills_random=0 recover_restart=0 recover_ctl=0 recover_killed=0 refused=0

# Start the agent with FAULTLINE_CRASH_AT=$1 (may be empty); its log goes to $2.  Returns once
# it answers, or has died (at a crash point in its recovery).
# Disowned, so that bash does not report every SIGKILL; it still reaps the agent.
up_or_gone() { is_gone "$AGENT_PID" || "$FAULTCTL" list >/dev/null 2>&1; }
start_agent_crash() {
	FAULTLINE_CRASH_AT=$1 FAULTLINE_TC_ATTACH=${ATTACH:-netlink} "$FAULTLINED" --log-level debug \
		>"$2" 2>&1 &
	AGENT_PID=$!
	disown "$AGENT_PID"
	ROUND_AGENTS+=("$AGENT_PID")
	wait_for 10 up_or_gone && ! is_gone "$AGENT_PID"
}
kill_agent() { # SIGNAL: and wait until it is gone
	kill "-$1" "$AGENT_PID" 2>/dev/null
	wait_for 30 is_gone "$AGENT_PID" || echo "# agent $AGENT_PID still alive 30s after SIG$1"
	AGENT_PID=
}

# ---- the control round: what a kill leaves when nothing recovers it, so the checks are seen to
# see it.  Every kind of the mix at once, killed once all are applied.
control_round() {
	local faults=() k n=0 out miss= log=$T/control-agent.log
	ROUND_AGENTS=()
	for k in "${MIX[@]}"; do
		"gen_$k" "c$n"
		faults+=("$(sed -E 's/"start_after":"[0-9]+ms","duration":"[0-9]+ms"/"duration":"60s"/' <<<"$FAULT")")
		n=$((n + 1))
	done
	printf '{"version":1,"title":"control","faults":[%s]}\n' "$(IFS=,; echo "${faults[*]}")" >"$T/control.json"
	ATTACH=netlink start_agent_crash "" "$log" || { not_ok "control: the agent did not start"; return; }
	if ! id=$("$FAULTCTL" run "$T/control.json" 2>&1); then
		not_ok "control: run refused: $id"
		kill_agent TERM
		return
	fi
	ROUND_RUNS=("$id")
	wait_for 10 bash -c "[ \$(grep -c 'applied ' '$log') -ge $n ]" ||
		echo "# control: only $(grep -c 'applied ' "$log") of $n faults applied"
	kill_agent KILL
	out=$(leftovers)
	[ -n "${TORTURE_VERBOSE:-}" ] && sed 's/^/# control saw: /' <<<"$out"
	n=0
	for k in "${MIX[@]}"; do
		if declare -F "expect_$k" >/dev/null && ! grep -Eq -- "$(expect_"$k" "c$n")" <<<"$out"; then
			miss+=" $k"
		fi
		n=$((n + 1))
	done
	[ "$(grep -c '^journal file ' <<<"$out")" -eq "$n" ] || miss+=" journal"
	if [ -z "$miss" ]; then
		ok "control: a SIGKILL with no recovery leaves what the checks look for (${MIX[*]})"
	else
		not_ok "control: the checks missed what a SIGKILL left of:$miss; they saw:"
		sed 's/^/#   /' <<<"$out"
		grep -E 'applied|failed' "$log" | sed 's/^/#   agent: /'
	fi
	"$FAULTCTL" recover >/dev/null 2>&1
	out=$(leftovers)
	if [ -z "$out" ]; then ok "control: faultctl recover then leaves nothing"; else
		not_ok "control: left after faultctl recover:"
		sed 's/^/#   /' <<<"$out"
		force_clean
	fi
}
control_round

# ---- rounds ---------------------------------------------------------------------------------------
for ((i = 1; i <= ROUNDS; i++)); do
	rm -f "$T"/round-*.log
	ROUND_AGENTS=()
	ROUND_RUNS=()
	# The experiment: 1 to 3 kinds from the mix (the TORTURE_ALWAYS ones first; crash-point
	# rounds always pause something, as pause reaches every point), maybe a probe (so that
	# there is an after phase).
	chosen=()
	faults=()
	pool=("${MIX[@]}")
	want=()
	for k in "${ALWAYS[@]}"; do [[ " ${MIX[*]} " = *" $k "* ]] && want+=("$k"); done
	((i % 2 == 0)) && [[ " ${MIX[*]} " = *" pause "* ]] && want+=(pause)
	nk=$(rnd 1 $((${#MIX[@]} < 3 ? ${#MIX[@]} : 3)))
	for ((k = 0; k < nk || k < ${#want[@]}; k++)); do
		[ ${#pool[@]} -gt 0 ] || break
		j=$((RANDOM % ${#pool[@]}))
		if ((k < ${#want[@]})); then
			for ((j = 0; j < ${#pool[@]}; j++)); do [ "${pool[j]}" = "${want[k]}" ] && break; done
			((j < ${#pool[@]})) || continue # named twice
		fi
		chosen+=("${pool[j]}")
		"gen_${pool[j]}" "f$k"
		faults+=("$FAULT")
		pool=("${pool[@]:0:j}" "${pool[@]:j+1}")
	done
	nk=${#chosen[@]}
	# Even rounds: the next crash point in turn (so a short run still covers them all).
	crash= where= point=
	if ((i % 2 == 0)); then
		point=${POINTS[(i / 2 - 1 + POINT_OFFSET) % ${#POINTS[@]}]}
		hit=1
		((RANDOM % 3 == 0)) && hit=$(rnd 1 "$nk")
		crash=$point:$hit
	fi
	ATTACH=netlink
	((RANDOM % 2)) && [ -n "$HAVE_TCX" ] && ATTACH=tcx
	probe=
	if ((RANDOM % 2 == 0)) || [ "$point" = after-phase ]; then
		probe='"hypothesis":{"probes":[{"name":"alive","type":"process","target":{"cmdline":"^fl-tort-probe "},"interval":"50ms"}],"after":{"within":"2s","duration":"100ms"}},'
	fi
	exp=$T/round.json
	printf '{"version":1,"title":"torture %d",%s"faults":[%s],"safety":{"max_duration":"10s"}}\n' \
		"$i" "$probe" "$(IFS=,; echo "${faults[*]}")" >"$exp"

	log=$T/round-agent.log
	if ! start_agent_crash "$crash" "$log"; then
		not_ok "round $i: the agent did not start; its log:"
		cat "$log"
		break
	fi
	t0=$(date +%s%N)
	accepted=1
	if ! "$FAULTCTL" run "$exp" >"$T/round-run.log" 2>&1 && ! grep -q "crash point" "$log"; then
		accepted=0
		refused=$((refused + 1))
		where="run refused: $(head -c 300 "$T/round-run.log")"
	fi
	if [ -n "$crash" ]; then
		# Tried: a first hit of a point in an accepted run that pauses something.
		[ "$hit" = 1 ] && [ "$accepted" = 1 ] && tried[$point]=$((${tried[$point]:-0} + 1))
		if wait_for 8 is_gone "$AGENT_PID" && grep -q "crash point" "$log"; then
			[ "$hit" = 1 ] && fired[$point]=$((${fired[$point]:-0} + 1))
			where="crash point $crash"
		else
			kill -KILL "$AGENT_PID"
			where="${where:+$where; }crash point $crash not reached; SIGKILL after the run"
		fi
	else
		delay=$(rnd 0 1300)
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kill -KILL "$AGENT_PID" 2>/dev/null
		kills_random=$((kills_random + 1))
		where="${where:+$where; }SIGKILL $(( ($(date +%s%N) - t0) / 1000000 ))ms after 'faultctl run' began"
	fi
	kill_agent KILL
	mapfile -t ROUND_RUNS < <(grep -ohE 'run [0-9a-f]{12}' "$log" | sort -u | cut -c5-)

	# Recovery: restart the agent (odd rounds of each pair) or faultctl recover without one;
	# one time in four, that recovery is itself killed after its first revert, then redone.
	rlog=$T/round-recover.log
	how=
	if ((RANDOM % 4 == 0)) && [ "$(journal_count)" -gt 0 ]; then
		recover_killed=$((recover_killed + 1))
		if ((RANDOM % 2)); then
			start_agent_crash recover-reverted:1 "$rlog"
			kill_agent TERM
			how="agent restart killed at its first revert, then "
		else
			# (braces: bash would report the SIGKILL on its own stderr)
			{ FAULTLINE_CRASH_AT=recover-reverted:1 "$FAULTCTL" recover >"$rlog" 2>&1; } 2>/dev/null
			how="faultctl recover killed at its first revert, then "
		fi
	fi
	if (((i + 1) / 2 % 2)); then
		recover_restart=$((recover_restart + 1))
		how+="agent restart"
		start_agent_crash "" "$rlog.2" || { not_ok "round $i: the agent did not restart"; cat "$rlog.2"; }
		out=$(leftovers)
		grep -E 'journal: cannot|failed [1-9]|corrupt [1-9]' "$rlog.2" >"$T/round-bad.log"
		kill_agent TERM
	else
		recover_ctl=$((recover_ctl + 1))
		how+="faultctl recover"
		"$FAULTCTL" recover >"$rlog.2" 2>&1 || echo "faultctl recover exited $?: $(cat "$rlog.2")" >"$T/round-bad.log"
		grep -E 'corrupt [1-9]|failed [1-9]' "$rlog.2" >>"$T/round-bad.log"
		out=$(leftovers)
	fi
	kinds="${chosen[*]}${probe:+ + probe}"
	[[ " ${chosen[*]} " = *" network "* || " ${chosen[*]} " = *" netem "* ]] && kinds+=", $ATTACH"
	if [ -z "$out" ] && [ ! -s "$T/round-bad.log" ]; then
		ok "round $i [$kinds]: $where; $how: nothing left"
	else
		not_ok "round $i [$kinds]: $where; $how"
		echo "#   left behind:"
		sed 's/^/#     /' <<<"$out"
		sed 's/^/#   recovery said: /' "$T/round-bad.log"
		echo "#   experiment: $(cat "$exp")"
		echo "#   the agent's last lines before the kill:"
		tail -n 8 "$log" | sed 's/^/#     /'
		echo "#   recovery log:"
		cat "$rlog" "$rlog.2" 2>/dev/null | tail -n 12 | sed 's/^/#     /'
		force_clean
	fi
done

# ---- coverage ---------------------------------------------------------------------------------------
summary=
for p in "${POINTS[@]}"; do
	summary+=" $p=${fired[$p]:-0}/${tried[$p]:-0}"
	# Every run that pauses something passes every point once: one that is never reached no
	# longer exists (renamed, or its code path is gone), and the rounds that named it proved
	# nothing.
	if [ "${tried[$p]:-0}" -ge 1 ] && [ "${fired[$p]:-0}" -eq 0 ]; then
		not_ok "crash point $p was tried ${tried[$p]} time(s) and never reached"
	fi
done
echo "# crash points reached/tried:$summary"
echo "# random-instant kills: $kills_random; recoveries: $recover_restart by restart, $recover_ctl by faultctl recover, $recover_killed of them killed halfway once; runs refused: $refused"
t_finish
