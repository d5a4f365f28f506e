#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Resource stressors end to end (issue #4): cpu.stress, memory.stress, disk.fill and io.stress
# through the real agent and faultctl.  Every achieved value is measured here, from /proc and
# the filesystem, never taken from the agent; revert and the agent's death leave no process,
# cgroup or file behind; preflight refuses unsafe sizes.  Disk tests use a tmpfs and a
# loop-mounted ext4 (its image on a tmpfs) made here, never the host's disk.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
CGROOT=/sys/fs/cgroup

# exp NAME JSON: write an experiment file, print its path.
exp() { printf '%s\n' "$2" >"$T/$1.json"; echo "$T/$1.json"; }
# within A B TOL: |A - B| <= TOL
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
fault_status() { run_field "$1" "r['faults'][$2]['status']$3"; }

# The tracking cgroup of fault F of run ID, from the kernel's view (v2, else a v1 hierarchy).
cg_dir() { find "$CGROOT" -maxdepth 3 -type d -name "$1-$2" 2>/dev/null | sort | head -n 1; }
# Worker pids of fault F of run ID: cgroup.procs of every hierarchy it is in.
workers() {
	local d
	for d in $(find "$CGROOT" -maxdepth 3 -type d -name "$1-$2" 2>/dev/null); do
		cat "$d/cgroup.procs" 2>/dev/null
	done | sort -un
}
has_workers() { [ "$(workers "$1" "$2" | wc -l)" -ge "${3:-1}" ]; }
# start_agent waits for `faultctl version`, which answers without an agent: wait for a request
# that needs one, so the restarted agent has finished its journal recovery.
start_agent_ready() { start_agent && wait_for 10 "$FAULTCTL" list >/dev/null; }
# After a restart: the journal is empty, or say what the agent logged about it.
journal_emptied() {
	if [ "$(journal_count)" -eq 0 ]; then
		ok "$1: restarted agent emptied the journal"
	else
		not_ok "$1: $(journal_count) record(s) left in the journal; the agent said:"
		grep -E 'journal|recover' "$T/agent.log" | tail -n 5
		ls -la --full-time "$FAULTLINE_STATE_DIR/journal"
		cat "$FAULTLINE_STATE_DIR"/journal/*.json
	fi
}

# Live processes whose comm starts with "faultline-" (the workers; the agent is "faultlined"),
# and zombies the agent has not reaped.
stray_workers() {
	local d pid c s pp
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		c=$(cat "$d/comm" 2>/dev/null) || continue
		case $c in faultline-*) ;; *) continue ;; esac
		s=$(proc_state "$pid")
		pp=$(awk '{ sub(/^.*\) /, ""); print $2 }' "$d/stat" 2>/dev/null)
		if [ "$s" != Z ] && [ "$s" != gone ]; then echo "$pid($c)"; fi
		if [ "$s" = Z ] && [ -n "$AGENT_PID" ] && [ "$pp" = "$AGENT_PID" ]; then echo "$pid($c,zombie)"; fi
	done
}
# What run ID left behind: workers, cgroups (its own, or an empty faultline parent), files.
leftovers() {
	local id=$1
	shift
	stray_workers
	find "$CGROOT" -maxdepth 3 -type d \( -name "$id-*" -o -name faultline \) 2>/dev/null
	for dir in "$@"; do find "$dir" -maxdepth 1 -name '.faultline-*' 2>/dev/null; done
}
check_clean() { # LABEL ID DIR...
	local label=$1 out
	shift
	out=$(leftovers "$@")
	if [ -z "$out" ]; then ok "$label: nothing left behind"; else not_ok "$label: left behind: $(echo $out)"; fi
}
all_gone() { local p; for p in "$@"; do is_gone "$p" || return 1; done; }
# kill -9 the agent; PDEATHSIG must take the workers with it within 1s.
kill9_check() { # LABEL PIDS...
	local label=$1 t0 t1 ms
	shift
	t0=$(date +%s%N)
	kill9_agent
	if wait_for 1 all_gone "$@"; then
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		check "$label: workers gone ${ms}ms after SIGKILL of the agent" [ "$ms" -le 1000 ]
	else
		not_ok "$label: workers $* still alive 1s after SIGKILL of the agent"
	fi
}

# busy% of the host ("cpu") and of each cpuN, and CPU % of each pid, over SECONDS of /proc.
cat >"$T/busy.py" <<'EOF'
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
        return None
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])
pids = sys.argv[2:]
a, pa, t0 = stat(), {p: ticks(p) for p in pids}, time.monotonic()
time.sleep(float(sys.argv[1]))
b, pb, t1 = stat(), {p: ticks(p) for p in pids}, time.monotonic()
hz = os.sysconf("SC_CLK_TCK")
for k in sorted(a):
    print("%s %.1f" % (k, 100.0 * (b[k][0] - a[k][0]) / max(1, b[k][1] - a[k][1])))
for p in pids:
    if pa[p] is not None and pb[p] is not None:
        print("pid%s %.1f" % (p, 100.0 * (pb[p] - pa[p]) / hz / (t1 - t0)))
EOF
busy() { "$PY" "$T/busy.py" "$@"; }
field() { awk -v k="$1" '$1 == k { print $2 }'; }

# df's Use% (used / (used + avail)) and bytes used, from statvfs.
fs_pct() { "$PY" -c 'import os,sys; s=os.statvfs(sys.argv[1]); u=(s.f_blocks-s.f_bfree)*s.f_frsize; a=s.f_bavail*s.f_frsize; print("%.2f" % (100.0*u/(u+a)))' "$1"; }
file_bytes() { "$PY" -c 'import os,sys; print(os.stat(sys.argv[1]).st_blocks*512)' "$1" 2>/dev/null || echo 0; }

# ---- environment ----------------------------------------------------------------------------
if ! grep -qw cgroup2 /proc/mounts && ! grep -qw cgroup /proc/mounts; then
	skip "no cgroup hierarchy is mounted: stressors need cgroups of their own"
	t_finish
	exit
fi
MNT=$T/mnt
mkdir -p "$MNT/state" "$MNT/fill" "$MNT/img" "$MNT/ext"
# The agent's state dir on a small tmpfs of its own: the state-dir floor is tested on it.
mount -t tmpfs -o size=16m fl-state "$MNT/state" || { not_ok "mount a tmpfs"; t_finish; exit 1; }
on_exit "umount -l '$MNT/state'"
mount -t tmpfs -o size=64m fl-fill "$MNT/fill" && on_exit "umount -l '$MNT/fill'"
export FAULTLINE_STATE_DIR=$MNT/state/state
# For io.stress: ext4 on a loop device whose image lives on a tmpfs.
loop=
if ! command -v mkfs.ext4 >/dev/null || ! command -v losetup >/dev/null; then
	skip "io: mkfs.ext4 or losetup missing"
elif ! mount -t tmpfs -o size=160m fl-img "$MNT/img"; then
	skip "io: cannot mount a tmpfs for the image"
else
	on_exit "umount -l '$MNT/img'"
	truncate -s 128M "$MNT/img/fs.img"
	loop=$(losetup -f --show "$MNT/img/fs.img" 2>/dev/null)
	if [ -z "$loop" ]; then
		skip "io: no loop device available"
	else
		on_exit "losetup -d '$loop'"
		if mkfs.ext4 -q -F "$loop" >/dev/null 2>&1 && mount "$loop" "$MNT/ext"; then
			on_exit "umount -l '$MNT/ext'"
		else
			skip "io: cannot make or mount ext4 on $loop"
			loop=
		fi
	fi
fi
# Runs first at exit: roll back what the agent holds, then whatever a killed agent left.
on_exit 'stop_agent; "$FAULTCTL" recover >/dev/null 2>&1'
start_agent_ready || { not_ok "start faultlined"; t_finish; exit 1; }

# ---- validation and preflight refusals --------------------------------------------------------
f=$(exp bad '{"version":1,"title":"bad","faults":[
 {"name":"c","type":"cpu.stress","load":0,"cores":[0,0],"mode":"all"},
 {"name":"m","type":"memory.stress","size":"1GiB","percent":10},
 {"name":"d","type":"disk.fill","path":"var/lib","fill_to_percent":100},
 {"name":"i","type":"io.stress","path":"/tmp","workers":65,"block_size":"5000"}]}')
out=$("$FAULTCTL" validate "$f" 2>&1); rc=$?
check "validate: invalid stressors exit 2 (got $rc)" [ "$rc" -eq 2 ]
for want in 'faults\[0\].load: 0 is out of range 1..100' 'cores\[1\]: CPU 0 is listed twice' \
	'faults\[0\].mode: must be "per_core" or "host"' "faults\[1\]: give either 'size' or 'percent'" \
	"faults\[2\].path: 'var/lib' is not an absolute path" 'fill_to_percent: 100 would leave less than the floor' \
	'workers: 65 is out of range 1..64' 'block_size: must be 4KiB..64MiB and a multiple of 4096'; do
	check "validate: says /$want/" grep -q -- "$want" <<<"$out"
done

avail_kb=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
f=$(exp memtoo '{"version":1,"title":"too much","faults":[{"name":"m","type":"memory.stress","size":"'$((avail_kb / 1024 + 64))'MiB","duration":"5s"}]}')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "preflight: memory above MemAvailable - margin refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "preflight: memory message names both numbers ($out)" grep -Eq 'more than the [0-9.]+[KMGT]iB that can be taken safely \(MemAvailable [0-9.]+[KMGT]iB minus a safety margin of [0-9.]+[KMGT]iB\)' <<<"$out"
check "preflight: nothing started for the refused memory.stress" [ -z "$(stray_workers)" ]

f=$(exp fillbig '{"version":1,"title":"too big","faults":[{"name":"d","type":"disk.fill","path":"'"$MNT/fill"'","size":"80MiB","duration":"5s"}]}')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "preflight: fill beyond the floor refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "preflight: fill message names the floor ($out)" grep -q "would cross the floor of" <<<"$out"

# The filesystem of the state dir keeps 1% even with floor_percent 0.
f=$(exp fillstate '{"version":1,"title":"state fs","faults":[{"name":"d","type":"disk.fill","path":"'"$MNT/state"'","fill_to_percent":99.8,"floor_percent":0,"duration":"5s"}]}')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "preflight: state dir's filesystem below 1% refused, exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "preflight: message says why ($out)" grep -q "holding the agent's state dir always keeps" <<<"$out"
f=$(exp notdir '{"version":1,"title":"no dir","faults":[{"name":"i","type":"io.stress","path":"'"$T/busy.py"'","duration":"5s"}]}')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "preflight: io.stress path not a directory refused ($out)" grep -q "is not a directory" <<<"$out"
ncpu=$(nproc)
f=$(exp manycores '{"version":1,"title":"cores","faults":[{"name":"c","type":"cpu.stress","load":50,"cores":'$((ncpu + 1))',"duration":"5s"}]}')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "preflight: more cores than available refused ($out)" grep -q "asks for $((ncpu + 1)) cores, but only" <<<"$out"
check "preflight: nothing left behind" [ -z "$(leftovers none "$MNT/fill" "$MNT/state")" ]

# measure_cpu PIDS...: 10s of /proc/stat and /proc/PID/stat into $M (see busy.py), and OTHER:
# what everything but PIDS used meanwhile, in percent of one core.
measure_cpu() {
	local p host ours=0
	M=$(busy 10 "$@")
	host=$(field cpu <<<"$M")
	for p in "$@"; do ours=$(awk -v a="$ours" -v b="$(field "pid$p" <<<"$M")" 'BEGIN { print a + b }'); done
	OTHER=$(awk -v h="$host" -v n="$ncpu" -v o="$ours" 'BEGIN { x = h * n - o; printf "%.1f", x < 0 ? 0 : x }')
}
quiet() { awk -v o="$OTHER" 'BEGIN { exit !(o <= 10) }'; }
# cpu_verdict LABEL PASSED: a pass is a pass; a miss on a quiet machine is a failure; a miss
# while other jobs used the CPU too is measured again (the caller loops), then skipped.
cpu_verdict() {
	if [ "$2" = 1 ]; then
		ok "$1"
	elif quiet; then
		not_ok "$1"
	else
		skip "$1: other jobs used ${OTHER}% of a core during the window; needs a quiet machine"
	fi
}

# ---- cpu.stress per_core: the quieter core held at 60% -----------------------------------------
base=$(busy 1)
core=0
if [ "$ncpu" -gt 1 ] && ge "$(field cpu0 <<<"$base")" "$(field cpu1 <<<"$base")"; then core=1; fi
f=$(exp cpu '{"version":1,"title":"cpu per core","faults":[{"name":"c","type":"cpu.stress","load":60,"cores":['$core'],"duration":"40s"}]}')
id=$("$FAULTCTL" run "$f")
wait_for 5 has_workers "$id" c
w=$(workers "$id" c)
check "cpu: one worker in the fault's cgroup ($w)" [ "$(wc -w <<<"$w")" -eq 1 ]
check "cpu: worker named faultline-cpu" [ "$(cat "/proc/$w/comm" 2>/dev/null)" = faultline-cpu ]
check "cpu: worker pinned to CPU $core" [ "$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$w/status")" = "$core" ]
sleep 1
for attempt in 1 2; do
	measure_cpu "$w"
	load=$(field "cpu$core" <<<"$M")
	own=$(field "pid$w" <<<"$M")
	pass=0
	within "$load" 60 5 && within "$own" 60 5 && pass=1
	[ "$pass" = 1 ] || quiet && break
	echo "# cpu: CPU $core ${load}%, worker ${own}%, other jobs ${OTHER}% of a core: again"
done
cpu_verdict "cpu: CPU $core busy ${load}% over 10s from /proc/stat, its worker ${own}% (/proc/PID/stat), target 60 +/- 5" "$pass"
rep=$(fault_status "$id" 0 "['load']")
check "cpu: agent's status reports the load it measured (${rep}%, /proc said ${load}%)" within "$rep" "$load" 10
"$FAULTCTL" abort "$id" >/dev/null
check "cpu: worker gone as soon as abort returns" is_gone "$w"
check_clean "cpu revert" "$id"

# ---- cpu.stress host: the whole host held at target, counting everything else ------------------
# A spinner of ours takes one core: the closed loop must count it and add only the rest.
spin=
target=50
if [ "$ncpu" -gt 1 ]; then
	taskset -c $((ncpu - 1)) bash -c 'while :; do :; done' &
	spin=$!
	track "$spin"
	target=$((50 + 50 / ncpu))
fi
f=$(exp cpuhost '{"version":1,"title":"cpu host","faults":[{"name":"h","type":"cpu.stress","load":'$target',"mode":"host","duration":"40s"}]}')
id=$("$FAULTCTL" run "$f")
wait_for 5 has_workers "$id" h "$ncpu"
w=$(workers "$id" h)
check "cpu host: one worker per core ($(echo $w))" [ "$(wc -w <<<"$w")" -eq "$ncpu" ]
sleep 3 # the closed loop settles
for attempt in 1 2; do
	measure_cpu $w $spin
	load=$(field cpu <<<"$M")
	pass=0
	within "$load" "$target" 5 && pass=1
	[ "$pass" = 1 ] || quiet && break
	echo "# cpu host: host ${load}%, other jobs ${OTHER}% of a core: again"
done
cpu_verdict "cpu host: host busy ${load}% over 10s from /proc/stat${spin:+, one core spun by the test}, target $target +/- 5" "$pass"
kill9_check "cpu host" $w
if [ -n "$spin" ]; then
	kill -KILL "$spin" 2>/dev/null
	wait "$spin" 2>/dev/null
	# Reaped: its pid may be reused, so the exit trap must not signal it.
	kept=()
	for p in "${T_PIDS[@]}"; do [ "$p" = "$spin" ] || kept+=("$p"); done
	T_PIDS=("${kept[@]}")
fi
check "cpu host: the journal holds the fault" [ "$(journal_count)" -eq 1 ]
start_agent_ready
journal_emptied "cpu host"
check_clean "cpu host after SIGKILL and restart" "$id"

# ---- memory.stress: 512MiB resident, ramped, then idle ----------------------------------------
size=$((512 * 1024 * 1024))
f=$(exp mem '{"version":1,"title":"memory","faults":[{"name":"m","type":"memory.stress","size":"512MiB","ramp":"1s","duration":"30s"}]}')
id=$("$FAULTCTL" run "$f")
wait_for 5 has_workers "$id" m
w=$(workers "$id" m)
rss() { awk '$1 == "VmRSS:" { print $2 * 1024 }' "/proc/$1/status" 2>/dev/null; }
reached() { ge "$(rss "$w")" $((size * 98 / 100)); }
check "memory: worker named faultline-mem" [ "$(cat "/proc/$w/comm" 2>/dev/null)" = faultline-mem ]
wait_for 10 reached
sleep 0.3
r=$(rss "$w")
check "memory: VmRSS $r within 2% of $size" within "$r" "$size" $((size / 50))
memcg=
for d in $(find "$CGROOT" -maxdepth 3 -type d -name "$id-m"); do
	if [ -e "$d/memory.max" ] || [ -e "$d/memory.limit_in_bytes" ]; then memcg=$d; fi
done
if [ -e "$memcg/memory.max" ]; then
	cur=$(cat "$memcg/memory.current") lim=$(cat "$memcg/memory.max")
else
	cur=$(cat "$memcg/memory.usage_in_bytes") lim=$(cat "$memcg/memory.limit_in_bytes")
fi
check "memory: the worker's memory cgroup holds $cur, within 2% of $size" within "$cur" "$size" $((size / 50))
check "memory: limited slightly above the target ($lim)" awk -v l="$lim" -v s="$size" 'BEGIN { exit !(l > s && l <= s * 1.1) }'
check "memory: worker is the host OOM killer's first choice" [ "$(cat "/proc/$w/oom_score_adj")" = 1000 ]
m=$(busy 2 "$w")
check "memory: no CPU once the size is reached ($(field "pid$w" <<<"$m")%)" ge 2 "$(field "pid$w" <<<"$m")"
rep=$(fault_status "$id" 0 "['resident_bytes']")
check "memory: agent's status reports the resident size ($rep)" within "$rep" "$r" $((size / 100))
kill9_check "memory" $w
out=$("$FAULTCTL" recover 2>&1); rc=$?
check "memory: faultctl recover with no agent exits 0 (got $rc: $out)" [ "$rc" -eq 0 ]
check_clean "memory after SIGKILL and faultctl recover" "$id"
start_agent_ready
# A normal end: run --wait, the revert leaves nothing and the record keeps the numbers.
f=$(exp memshort '{"version":1,"title":"memory short","faults":[{"name":"m","type":"memory.stress","percent":0.5,"duration":"2s"}]}')
out=$("$FAULTCTL" run "$f" --wait 2>&1); rc=$?
id=$("$FAULTCTL" list --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
check "memory: a 2s run passes (exit $rc)" [ "$rc" -eq 0 ]
check_clean "memory revert" "$id"
check "memory: the run record keeps the resident size" "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r["faults"][0]["status"]
sys.exit(not (s["resident_bytes"] > 0.98 * s["target_bytes"]))' "$FAULTLINE_STATE_DIR/runs/$id.json"

# ---- disk.fill on a 64MiB tmpfs ----------------------------------------------------------------
f=$(exp fill '{"version":1,"title":"fill","faults":[{"name":"d","type":"disk.fill","path":"'"$MNT/fill"'","fill_to_percent":80,"duration":"30s"}]}')
id=$("$FAULTCTL" run "$f")
wait_for 5 has_workers "$id" d
w=$(workers "$id" d)
filled() { ge "$(fs_pct "$MNT/fill")" 79.5; }
wait_for 10 filled
pct=$(fs_pct "$MNT/fill")
check "disk: filesystem ${pct}% used (statvfs), target 80 +/- 1" within "$pct" 80 1
file=$(find "$MNT/fill" -maxdepth 1 -name ".faultline-fill-$id-d")
check "disk: one fill file, named for the run ($file)" [ -n "$file" ]
rep=$(fault_status "$id" 0 "['filled_bytes']")
check "disk: agent's status reports the bytes filled ($rep, st_blocks says $(file_bytes "$file"))" [ "$rep" = "$(file_bytes "$file")" ]
"$FAULTCTL" abort "$id" >/dev/null
check "disk: worker gone as soon as abort returns" is_gone "$w"
check_clean "disk revert" "$id" "$MNT/fill"
check "disk: filesystem empty again ($(fs_pct "$MNT/fill")%)" within "$(fs_pct "$MNT/fill")" 0 0.5
check "disk: the run record keeps the bytes filled" "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))["faults"][0]["status"]
sys.exit(not (s["filled_bytes"] > 0 and s["fs_used_percent"] >= 79))' "$FAULTLINE_STATE_DIR/runs/$id.json"

f=$(exp fillsize '{"version":1,"title":"fill size","faults":[{"name":"d","type":"disk.fill","path":"'"$MNT/fill"'","size":"16MiB","duration":"30s"}]}')
id=$("$FAULTCTL" run "$f")
wait_for 5 has_workers "$id" d
w=$(workers "$id" d)
file=$MNT/fill/.faultline-fill-$id-d
wait_for 10 bash -c "[ \"\$(stat -c %b \"$file\" 2>/dev/null)\" -ge 32768 ]"
check "disk: a size fill allocates exactly 16MiB ($(file_bytes "$file"))" [ "$(file_bytes "$file")" -eq $((16 * 1024 * 1024)) ]
kill9_check "disk" $w
check "disk: the fill file outlives the agent until recovery" [ -e "$file" ]
out=$("$FAULTCTL" recover 2>&1); rc=$?
check "disk: faultctl recover exits 0 (got $rc: $out)" [ "$rc" -eq 0 ]
check_clean "disk after SIGKILL and faultctl recover" "$id" "$MNT/fill"
start_agent_ready

# ---- io.stress on a loop-mounted ext4 ----------------------------------------------------------
if [ -n "$loop" ]; then
	dev=${loop#/dev/}
	# sectors read and written by the loop device, in bytes: /proc/diskstats fields 6 and 10
	disk_rw() { awk -v d="$dev" '$3 == d { printf "%.0f %.0f\n", $6 * 512, $10 * 512 }' /proc/diskstats; }
	agent_rw() { run_field "$id" "'%d %d' % (r['faults'][0]['status']['read_bytes'], r['faults'][0]['status']['write_bytes'])"; }
	f=$(exp io '{"version":1,"title":"io","faults":[{"name":"i","type":"io.stress","path":"'"$MNT/ext"'","workers":2,"mode":"mixed","block_size":"1MiB","file_size":"8MiB","duration":"30s"}]}')
	id=$("$FAULTCTL" run "$f")
	wait_for 5 has_workers "$id" i 2
	w=$(workers "$id" i)
	check "io: two workers ($(echo $w))" [ "$(wc -w <<<"$w")" -eq 2 ]
	sleep 0.5
	direct=0
	for p in $w; do
		for fd in /proc/"$p"/fd/*; do
			case $(readlink "$fd") in "$MNT/ext/.faultline-io-$id-i-"*)
				flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$p/fdinfo/${fd##*/}")
				(((8#$flags & 8#40000) != 0)) && direct=$((direct + 1)) ;;
			esac
		done
	done
	check "io: both workers use O_DIRECT on ext4 (/proc/PID/fdinfo)" [ "$direct" -eq 2 ]
	read -r d_r0 d_w0 <<<"$(disk_rw)"
	read -r a_r0 a_w0 <<<"$(agent_rw)"
	t0=$(date +%s%N)
	sleep 2
	read -r d_r1 d_w1 <<<"$(disk_rw)"
	read -r a_r1 a_w1 <<<"$(agent_rw)"
	t1=$(date +%s%N)
	dev_bytes=$((d_r1 - d_r0 + d_w1 - d_w0))
	agent_bytes=$((a_r1 - a_r0 + a_w1 - a_w0))
	mbps=$((dev_bytes * 1000 / ((t1 - t0) / 1000000) / 1048576))
	check "io: the loop device did real IO, ${mbps}MiB/s (/proc/diskstats)" [ "$mbps" -ge 1 ]
	check "io: reads and writes both reached the device" test $((d_r1 - d_r0)) -gt 0 -a $((d_w1 - d_w0)) -gt 0
	check "io: agent's count ($agent_bytes) within 20% of the device's ($dev_bytes)" within "$agent_bytes" "$dev_bytes" $((dev_bytes / 5))
	check "io: agent reports a throughput" ge "$(fault_status "$id" 0 "['mean_throughput_bytes_per_s']")" 1048576
	"$FAULTCTL" abort "$id" >/dev/null
	check_clean "io revert" "$id" "$MNT/ext"

	id=$("$FAULTCTL" run "$f")
	wait_for 5 has_workers "$id" i 2
	w=$(workers "$id" i)
	sleep 0.3
	kill9_check "io" $w
	start_agent_ready
	journal_emptied "io"
	check_clean "io after SIGKILL and restart" "$id" "$MNT/ext"
fi

t_finish
