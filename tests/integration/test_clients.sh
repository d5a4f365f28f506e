#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile and many clients (issue #6): clients that never send, send half a request (or 1.9MiB
# of one), send megabytes of garbage, drip a request 100 bytes at a time, pipeline 5,000
# requests, or ask for events and never read them, and 1,000 status clients at once, all while
# an experiment runs.  None may block the loop, grow the agent's memory without
# bound, or shift the experiment's timing; every well-behaved client gets its answer; idle
# clients are dropped after 60s, so they cannot hold descriptors forever.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
CLIENTS="$PY $(cd "$(dirname "$0")/../helpers" && pwd)/clients.py $FAULTLINE_SOCKET"

quiet() { "$@" >/dev/null 2>&1; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$AGENT_PID/status"; }
nfds() { ls "/proc/$AGENT_PID/fd" | wc -l; }
# ISO time -> seconds (float)
secs() { $PY -c 'import sys, datetime; print(datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")).timestamp())' "$1"; }

start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
start_target fl-clients
fds0=$(nfds)
echo "# agent at start: VmRSS $(rss_kb)kB, $fds0 descriptors"

# ---- events that pile up for clients that never read -------------------------------------------
# A run that makes events fast: 64 TCP probes of a closed port every 10ms for 10s, some 15MB
# of events (its verdict does not matter).  It keeps 20,000 of them; each "events" request
# replays those.
port=$(free_port)
probes=
for i in $(seq 64); do
	probes+="${probes:+,}"'{"name":"p'$i'","type":"tcp","host":"127.0.0.1","port":'$port',"interval":"10ms","timeout":"100ms"}'
done
printf '%s\n' '{"version":1,"title":"noisy","hypothesis":{"probes":['"$probes"'],"before":{"min_success_ratio":0},"during":{"min_success_ratio":0},"after":{"within":"100ms"}},"faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"10s"}]}' >"$T/noisy.json"
noisy=$("$FAULTCTL" run "$T/noisy.json") || { not_ok "start the noisy run: $noisy"; t_finish; exit 1; }
# One subscriber during the run: the live events alone pass its 8MiB.
$CLIENTS hold 1 noread "$noisy" "$T/noread1.out" &
track $!
wait_for 20 bash -c "\"$FAULTCTL\" status $noisy --json | grep -q '\"phase\": \"done\"'"
check "a subscriber that never reads is dropped" wait_for 10 grep -q '^closed 1' "$T/noread1.out"
check "the agent logged why" grep -q "is not reading ([0-9]* bytes queued for it" "$T/agent.log"
rss1=$(rss_kb)
echo "# agent after the noisy run (which holds its events): VmRSS ${rss1}kB"

# ---- misbehaving clients, held open from now on -------------------------------------------------
t_hold=$SECONDS
$CLIENTS hold 100 idle "$T/idle.out" &
track $!
$CLIENTS hold 100 half "$T/half.out" &
track $!
# 40 ask for the whole replay (~4MB each) and never read: together they pass the agent-wide
# cap of 64MiB of queued output, so the biggest queues are dropped.
$CLIENTS hold 40 noread "$noisy" "$T/noread40.out" &
track $!
# 40 send 1.9MiB of a request and stop: together past the agent's 64MiB for partial requests.
$CLIENTS hold 40 bigpartial "$T/partial.out" &
track $!
wait_for 10 grep -q '^open 100' "$T/idle.out" &&
	wait_for 10 grep -q '^open 100' "$T/half.out" &&
	wait_for 10 grep -q '^open 40' "$T/noread40.out" &&
	wait_for 30 grep -q '^open 40' "$T/partial.out"
sleep 2
rss2=$(rss_kb)
if [ -n "${FAULTLINE_SANITIZED:-}" ]; then
	skip "VmRSS bound: not meaningful under ASan (quarantine, shadow); the plain build checks it"
else
	check "40 non-reading replays, 40 big partial requests: VmRSS ${rss2}kB, within the two 64MiB caps + 32MiB of ${rss1}kB" \
		[ "$rss2" -lt $((rss1 + 160 * 1024)) ]
fi
# 64MiB hold some 31 of them (2MiB each); the rest are told the agent is busy, and closed.
partial_open() { tail -n 1 "$T/partial.out" | awk '$1 == "open" { print $2 }'; }
few_open() { local n; n=$(partial_open); [ -n "$n" ] && [ "$n" -le 32 ]; }
wait_for 10 few_open
check "40 big partial requests: those past the input cap closed at once ($(partial_open) still open)" few_open
out=$($CLIENTS garbage $((5 * 1024 * 1024)))
check "5MiB of garbage without a newline: refused ($out)" grep -q '"message larger than' <<<"$out"
check "the agent answers others meanwhile" quiet "$FAULTCTL" list

# ---- the experiment whose timing must hold: pause for 3s, starting 1s into the inject phase ----
f=$T/timing.json
printf '%s\n' '{"version":1,"title":"timing","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"start_after":"1s","duration":"3s"}]}' >"$f"
id=$("$FAULTCTL" run "$f") || { not_ok "start the timing run: $id"; t_finish; exit 1; }
# 1,000 status clients at once, three times over, while it runs (and the misbehaving ones
# above hold their connections and queues).
for round in 1 2 3; do
	out=$($CLIENTS status 1000); rc=$?
	check "1000 concurrent status clients, round $round: every one answered ($out)" [ "$rc" -eq 0 ]
done
# One client pipelining 5,000 requests in one write: served in turns, every one answered.
out=$($CLIENTS pipeline 5000 "$id"); rc=$?
check "5000 pipelined status requests on one connection: every one answered ($out)" [ "$rc" -eq 0 ]
# A 1.5MB request dripped 100 bytes at a time: each byte is searched for the end once.
cpu0=$(awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat")
out=$($CLIENTS drip $((1500 * 1000)) 100)
cpu1=$(awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat")
check "a 1.5MB request in 100-byte drips: answered ($out)" grep -q '"code":"proto"' <<<"$out"
check "a 1.5MB request in 100-byte drips: $((cpu1 - cpu0)) ticks of agent CPU (less than 1s)" \
	[ $((cpu1 - cpu0)) -lt "$(getconf CLK_TCK)" ]
wait_for 15 bash -c "\"$FAULTCTL\" status $id --json | grep -q '\"phase\": \"done\"'"
"$FAULTCTL" status "$id" --json >"$T/timing.status"
read -r inject applied reverted verdict < <($PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0] if "runs" in d else d
ph = {p["name"]: p for p in r["phases"]}
f = r["faults"][0]
print(ph["during"]["started_at"], f["applied_at"], f["reverted_at"], r["verdict"])' "$T/timing.status")
check "timing run passed (verdict $verdict)" [ "$verdict" = passed ]
a=$($PY -c "print(round($(secs "$applied") - $(secs "$inject"), 3))")
d=$($PY -c "print(round($(secs "$reverted") - $(secs "$applied"), 3))")
# Generous bounds: a shared 2-core machine; a blocked loop would show as seconds, not ms.
check "applied ${a}s into the inject phase (schedule: 1s, bound +-0.3s)" \
	awk -v x="$a" 'BEGIN { exit !(x > 0.7 && x < 1.3) }'
check "reverted ${d}s after it was applied (schedule: 3s, bound +-0.3s)" \
	awk -v x="$d" 'BEGIN { exit !(x > 2.7 && x < 3.3) }'
check "the target runs again" is_running "$TARGET_PID"

# ---- clients that send nothing, or stop sending or reading, are dropped after 60s ---------------
left=$((75 - (SECONDS - t_hold)))
[ "$left" -gt 0 ] && echo "# waiting up to ${left}s for the agent to drop idle clients"
check "100 clients that never sent a byte: dropped by the agent" \
	wait_for $((left > 5 ? left : 5)) grep -q '^closed 100' "$T/idle.out"
check "100 clients that sent half a request: dropped by the agent" \
	wait_for 10 grep -q '^closed 100' "$T/half.out"
check "40 non-reading replays: every one dropped (by a cap, or idle)" \
	wait_for 10 grep -q '^closed 40' "$T/noread40.out"
check "40 big partial requests: every one dropped (by the cap, or idle)" \
	wait_for 10 grep -q '^closed 40' "$T/partial.out"
tail -n 1 "$T/idle.out" | sed 's/^/# idle: /'
sleep 1
fds1=$(nfds)
check "every client gone: $fds1 descriptors, as at the start ($fds0)" [ "$fds1" -le "$fds0" ]
check "agent still alive" kill -0 "$AGENT_PID"

t_finish
