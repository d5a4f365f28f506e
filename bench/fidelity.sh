#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench, section 4 (issue 7), the part measured on this host: what was asked against what
# happened, measured from outside the agent.  Loss of the bpf network engine on UDP between
# two network namespaces (received / sent); cpu.stress against stress-ng --cpu-load (the
# stressors' own CPU time from /proc); memory.stress against stress-ng --vm (resident set);
# disk.fill against fallocate -l (bytes the filesystem lost, statvfs).  Delay is measured in a
# VM (netem), by bench/vm.sh.  Everything runs in namespaces, cgroups and a tmpfs made here.
. "$(dirname "$0")/../tests/lib.sh"
. "$(dirname "$0")/../tests/netlib.sh"
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
CGROOT=/sys/fs/cgroup
N=$(count 100000 20000) # datagrams per loss level
LOSSES=$(count "1 10 30 50" "10 50")
LOADS=$(count "25 50 75" "50")
WARM=$(count 2 2) # seconds a stressor runs before its window
WIN=$(count 8 4) # seconds of the CPU window
ROUNDS=$(count 2 1) # CPU windows per stressor and load
MEMS=$(count "256 1024" "256") # MiB
FILLS=$(count "100 500" "100") # MiB
ncpu=$(nproc)

kv() { sed -n "s/^$1=//p" <<<"$2"; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# Forget a pid we reaped ourselves, so that the exit trap does not signal a reused one.
untrack() {
	local p kept=()
	for p in "${T_PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
	T_PIDS=("${kept[@]}")
}
# Stop a process we started (TERM, then KILL after 5 s) and reap it.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait_for 5 is_gone "$1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	untrack "$1"
}
# Worker pids of fault F of run ID: cgroup.procs of every hierarchy its cgroup is in.
workers() {
	local d
	for d in $(find "$CGROOT" -maxdepth 3 -type d -name "$1-$2" 2>/dev/null); do
		cat "$d/cgroup.procs" 2>/dev/null
	done | sort -un
}
has_workers() { [ -n "$(workers "$1" "$2")" ]; }
# A process and its descendants.
ptree() {
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do ptree "$c"; done
}
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
anon_mib() { awk '$1 == "RssAnon:" { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
# The process of the tree with the largest resident set: "PID KB".
biggest() {
	local p best=0 bp=
	for p in $(ptree "$1"); do
		r=$(rss_kb "$p")
		[ -n "$r" ] && [ "$r" -gt "$best" ] && best=$r bp=$p
	done
	echo "$bp $best"
}

# cpu.py SECONDS PID...: CPU % of one core used by the PIDs together (utime + stime from
# /proc/PID/stat), busy % of each cpuN and of the host ("cpu", all cores together) from
# /proc/stat, over SECONDS.
cat >"$T/cpu.py" <<'EOF'
import os, sys, time
def stat():
    out = {}
    for l in open("/proc/stat"):
        if not l.startswith("cpu"):
            break
        f = l.split()
        v = [int(x) for x in f[1:9]]
        out[f[0]] = (sum(v) - v[3] - v[4], sum(v))
    return out
def ticks(pid):
    try:
        s = open("/proc/%s/stat" % pid).read()
    except OSError:
        return 0
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])
pids = sys.argv[2:]
a, pa, t0 = stat(), sum(ticks(p) for p in pids), time.monotonic()
time.sleep(float(sys.argv[1]))
b, pb, t1 = stat(), sum(ticks(p) for p in pids), time.monotonic()
for k in sorted(a):
    print("%s=%.2f" % (k, 100.0 * (b[k][0] - a[k][0]) / max(1, b[k][1] - a[k][1])))
print("pids=%.2f" % (100.0 * (pb - pa) / os.sysconf("SC_CLK_TCK") / (t1 - t0)))
EOF
# fs_used PATH: bytes used on the filesystem of PATH (statvfs: blocks - free blocks).
fs_used() {
	"$PY" -c 'import os, sys
s = os.statvfs(sys.argv[1])
print((s.f_blocks - s.f_bfree) * s.f_frsize)' "$1"
}

bench_begin fidelity "Fidelity: what was asked against what happened"
method "Each value is measured from outside the agent.  Loss: the bpf engine drops a share \
of the UDP datagrams to one port on the egress of a veth pair between two network \
namespaces; $N datagrams of 64 bytes per level are sent, and the measured loss is 1 - \
received / sent.  CPU: a load L on one core, by cpu.stress (per_core, one core) and by \
stress-ng --cpu 1 --cpu-load L pinned to the same core, one at a time; after ${WARM} s the \
stressor processes' own CPU time (utime + stime in /proc/PID/stat) is taken over ${WIN} s, in \
% of that core.  Each stressor gets ${ROUNDS} such window(s) per load, the order alternating, \
and the table keeps the one in which the least else ran on that core.  Memory: \
memory.stress of a size against stress-ng --vm 1 --vm-bytes SIZE --vm-keep; the resident set \
(VmRSS) of the process that holds the memory, once it has stopped growing.  Disk: disk.fill \
of a size against fallocate -l SIZE (chaosd's and ChaosBlade's disk fill where fallocate \
works) on a 1 GiB tmpfs made for the purpose; the bytes the filesystem lost, from statvfs \
before and after."
on_exit 'stop_agent; "$FAULTCTL" recover >/dev/null 2>&1'
start_agent --log-level info || { echo "bench: fidelity: cannot start faultlined" >&2; exit 1; }

# ---- loss (bpf engine) -----------------------------------------------------------------------
net_setup
# lost_pct NAME: percent of the N datagrams that did not arrive.
lost_pct() { calc "100 * ($N - $(field "$1" unique)) / $N" 3; }
one_stream() {
	SENDERS=()
	stream_start s1 "$B4" "$P1"
	stream_send "$B4" "$P1"
	stream_wait s1
}
# The baseline: the fastest of these rates at which the pair itself loses nothing.
base=
for PPS in 20000 10000 5000; do
	one_stream
	base=$(lost_pct s1)
	[ "$(field s1 unique)" = "$N" ] && break
	echo "# fidelity: $base% lost without a fault at $PPS datagrams/s: slower" >&2
done
row label="loss, no fault (baseline)" unit=% requested=0 faultline="$base" n="$N"
agree=
for L in $LOSSES; do
	f=$(exp "loss$L" '{"version":1,"title":"bench loss '"$L"'","faults":[{"name":"loss",
	 "type":"network",
	 "target":{"interface":"'"$VA"'","netns":"'"$A"'","protocol":"udp","ports":['"$P1"']},
	 "loss":'"$L"',"engine":"bpf","duration":"300s"}]}')
	if ! start "$f"; then
		note "loss $L%: the fault did not become active"
		finish "$ID"
		continue
	fi
	one_stream
	d=$(counter "$ID" egress dropped 2>/dev/null)
	finish "$ID"
	got=$((N - $(field s1 unique)))
	row label="loss $L%" unit=% requested="$L" faultline="$(lost_pct s1)" n="$N"
	# Two standard deviations of a binomial count: the spread that sampling alone gives.
	agree+="${agree:+; }$L%: +/-$(calc "200 * sqrt($L / 100 * (1 - $L / 100) / $N)" 2) points, \
agent dropped $d, receiver missed $got"
done
note "loss: sent at $PPS datagrams/s (the fastest of 20000, 10000, 5000 at which the pair lost \
nothing without a fault). Sampling spread (2 sigma) and the agent's own drop counter against \
what the receiver missed: $agree."

# ---- CPU ---------------------------------------------------------------------------------------
allowed() { awk '$1 == "Cpus_allowed_list:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
# cpu_window PIDS...: the window; sets OWN (the PIDs' CPU %), NEAR (what else ran on cpu$core,
# in % of it) and OTHER (what everything else used on the host, in % of one core).
cpu_window() {
	local m
	m=$("$PY" "$T/cpu.py" "$WIN" "$@")
	OWN=$(kv pids "$m")
	NEAR=$(calc "$(kv "cpu$core" "$m") - $OWN" 1)
	OTHER=$(calc "$(kv cpu "$m") * $ncpu - $OWN" 1)
	case $NEAR in -*) NEAR=0.0 ;; esac
	case $OTHER in -*) OTHER=0.0 ;; esac
}
# fl_cpu L / sn_cpu L: one window of faultline's / stress-ng's stressor at L%; "OWN NEAR OTHER".
fl_cpu() {
	local f id w
	f=$(exp "cpu$1" '{"version":1,"title":"bench cpu '"$1"'","faults":[{"name":"c","type":"cpu.stress",
	 "load":'"$1"',"cores":1,"mode":"per_core","duration":"120s"}]}')
	id=$("$FAULTCTL" run "$f") || return 1
	wait_for 10 has_workers "$id" c
	w=$(workers "$id" c)
	[ "$(allowed "${w%% *}")" = "$core" ] ||
		echo "# fidelity: faultline's cpu worker is not on cpu$core alone" >&2
	sleep "$WARM"
	cpu_window $w
	"$FAULTCTL" abort "$id" >/dev/null 2>&1
	echo "$OWN $NEAR $OTHER"
}
sn_cpu() {
	local sp
	(cd "$T" && exec taskset -c "$core" stress-ng --cpu 1 --cpu-load "$1" --temp-path "$T" \
		--timeout $((WARM + WIN + 30))s --quiet) &
	sp=$!
	track "$sp"
	sleep "$WARM"
	cpu_window $(ptree "$sp")
	stop_pid "$sp"
	echo "$OWN $NEAR $OTHER"
}
# windows FILE: "OWN (NEAR, OTHER), ..."
windows() { awk '{ printf "%s%s (%s, %s)", (NR > 1 ? ", " : ""), $1, $2, $3 }' "$1"; }
# Keep the window in which the least else ran on the core: "OWN NEAR OTHER" lines on stdin.
quietest() { sort -g -k2,2 | head -n 1; }
# faultline's per_core worker with "cores": 1 goes to the first CPU the agent may run on.
core=$(allowed "$AGENT_PID")
core=${core%%[-,]*}
core=${core:-0}
cpunote=
for L in $LOADS; do
	: >"$T/fl" && : >"$T/sn"
	for ((r = 0; r < ROUNDS; r++)); do
		# Alternate who goes first, so that a neighbour's load that comes and goes hits both.
		if ((r % 2 == 0)); then
			fl_cpu "$L" >>"$T/fl"
			sn_cpu "$L" >>"$T/sn"
		else
			sn_cpu "$L" >>"$T/sn"
			fl_cpu "$L" >>"$T/fl"
		fi
	done
	read -r fl _ <<<"$(quietest <"$T/fl")"
	read -r sn _ <<<"$(quietest <"$T/sn")"
	row label="cpu $L% of one core" unit="% of the core" requested="$L" faultline="${fl:-}" \
		peer="${sn:-}" peer_name="stress-ng --cpu 1 --cpu-load $L"
	cpunote+="${cpunote:+; }$L%: $(windows "$T/fl") / $(windows "$T/sn")"
done
note "cpu: this machine is shared.  Every window, faultline's / stress-ng's: achieved % (what \
else ran on cpu$core, in % of it; everything else on the host, in % of one core): $cpunote. \
faultline's worker counts its own CPU time to make up what preemption takes. \
$(stress-ng --version 2>/dev/null | sed -E 's/^(stress-ng), version ([^ ]+).*/\1 \2/')."

# ---- memory ------------------------------------------------------------------------------------
# settled PID: VmRSS stopped growing (two readings 0.5 s apart within 0.5%) and is at least
# 90% of $want_kb.
settled() {
	local a b
	a=$(rss_kb "$1") && sleep 0.5 && b=$(rss_kb "$1") || return 1
	[ "$b" -ge $((want_kb * 9 / 10)) ] && [ $((b - a)) -le $((b / 200)) ]
}
settled_ptree() { set -- $(biggest "$1"); [ -n "${1:-}" ] && settled "$1"; }
memnotes=
for S in $MEMS; do
	want_kb=$((S * 1024))
	f=$(exp "mem$S" '{"version":1,"title":"bench memory '"$S"'","faults":[{"name":"m",
	 "type":"memory.stress","size":"'"$S"'MiB","duration":"120s"}]}')
	fl='' fl_cpu='' fl_anon='' cg=''
	if id=$("$FAULTCTL" run "$f"); then
		wait_for 10 has_workers "$id" m
		w=$(workers "$id" m | head -n 1)
		if [ -n "$w" ] && wait_for 30 settled "$w"; then
			fl=$(calc "$(rss_kb "$w") / 1024" 1)
			fl_anon=$(anon_mib "$w")
			fl_cpu=$(kv pids "$("$PY" "$T/cpu.py" 2 "$w")")
		else
			note "memory $S MiB: faultline's worker did not settle within 30 s"
		fi
		for d in $(find "$CGROOT" -maxdepth 3 -type d -name "$id-m"); do
			[ -e "$d/memory.current" ] && cg=$(calc "$(cat "$d/memory.current") / 1048576" 1)
			[ -e "$d/memory.usage_in_bytes" ] && cg=$(calc "$(cat "$d/memory.usage_in_bytes") / 1048576" 1)
		done
		"$FAULTCTL" abort "$id" >/dev/null 2>&1
	else
		note "memory $S MiB: faultctl run failed"
	fi

	(cd "$T" && exec stress-ng --vm 1 --vm-bytes "${S}M" --vm-keep --temp-path "$T" \
		--timeout 120s --quiet) &
	sp=$!
	track "$sp"
	sn='' sn_cpu='' sn_anon=''
	if wait_for 30 settled_ptree "$sp"; then
		read -r bp bk <<<"$(biggest "$sp")"
		sn=$(calc "$bk / 1024" 1)
		sn_anon=$(anon_mib "$bp")
		sn_cpu=$(kv pids "$("$PY" "$T/cpu.py" 2 $(ptree "$sp"))")
	else
		note "memory $S MiB: stress-ng's resident set did not settle within 30 s"
	fi
	stop_pid "$sp"
	row label="memory $S MiB: resident" unit=MiB requested="$S" faultline="$fl" peer="$sn" \
		peer_name="stress-ng --vm 1 --vm-bytes ${S}M --vm-keep"
	row label="memory $S MiB: the stressor's CPU while it holds it" unit="% of a core" \
		faultline="$fl_cpu" peer="$sn_cpu" peer_name="stress-ng --vm 1 --vm-keep" better=lower
	memnotes+="${memnotes:+; }$S MiB: faultline ${fl_anon:-?} MiB anonymous (its memory cgroup \
${cg:-?} MiB), stress-ng ${sn_anon:-?} MiB anonymous"
done
note "memory: the resident rows count the whole VmRSS of the process that holds the memory, \
its code and libraries included (faultline's worker makes that sum the size); the anonymous \
part is what the stressor took from the host: $memnotes."

# ---- disk --------------------------------------------------------------------------------------
FS=$T/fill
mkdir -p "$FS"
if mount -t tmpfs -o size=1g fl-bench-fill "$FS"; then
	on_exit "umount -l '$FS'"
	for S in $FILLS; do
		want=$((S * 1048576))
		u0=$(fs_used "$FS")
		f=$(exp "fill$S" '{"version":1,"title":"bench fill '"$S"'","faults":[{"name":"d",
		 "type":"disk.fill","path":"'"$FS"'","size":"'"$S"'MiB","duration":"120s"}]}')
		fl=
		if id=$("$FAULTCTL" run "$f"); then
			file=$FS/.faultline-fill-$id-d
			wait_for 30 bash -c "[ \$(( \$(stat -c %b '$file' 2>/dev/null || echo 0) * 512 )) -ge $want ]"
			sleep 0.5
			fl=$(calc "($(fs_used "$FS") - $u0) / 1048576" 2)
			"$FAULTCTL" abort "$id" >/dev/null 2>&1
			left=$(calc "($(fs_used "$FS") - $u0) / 1048576" 2)
			[ "$left" = 0.00 ] || note "disk $S MiB: $left MiB still used after the fault was reverted"
		else
			note "disk $S MiB: faultctl run failed"
		fi
		u0=$(fs_used "$FS")
		fallocate -l "${S}MiB" "$FS/peer-fill"
		pe=$(calc "($(fs_used "$FS") - $u0) / 1048576" 2)
		rm -f "$FS/peer-fill"
		row label="disk fill $S MiB: bytes taken from the filesystem" unit=MiB requested="$S" \
			faultline="$fl" peer="$pe" peer_name="fallocate -l ${S}MiB"
	done
else
	note "disk: cannot mount a tmpfs: not measured"
fi
bench_end
