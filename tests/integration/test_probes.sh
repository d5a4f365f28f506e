#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Steady state and safety: every probe kind against a real endpoint, every rule kind tripping
# for real, lease expiry after the client is killed, run windows, reports and the live view.
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")/.." && pwd)

PORT=$(free_port)
start_http "$PORT" || { not_ok "start busybox httpd"; t_finish; exit 1; }
PROM=$(free_port)
echo 1 >"$T/prom.value"
echo 0 >"$T/prom.delay"
/usr/bin/python3 "$HERE/helpers/promstub.py" "$PROM" "$T/prom.value" "$T/prom.delay" "$T/prom.log" &
track $!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PROM" || not_ok "prometheus stub up"
start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
start_target fl-probe-tgt

exp() { printf '%s\n' "$2" >"$T/$1.json"; echo "$T/$1.json"; }
pause() { echo '{"name":"pause","type":"process.pause","target":'"$1"',"duration":"'"$2"'"}'; }
web='{"name":"web","type":"http","url":"http://127.0.0.1:'$PORT'/health","timeout":"200ms","interval":"100ms"}'
tcp='{"name":"port","type":"tcp","host":"127.0.0.1","port":'$PORT',"timeout":"200ms","interval":"100ms"}'
prom='{"name":"errors","type":"prometheus","url":"http://127.0.0.1:'$PROM'","query":"sum(rate(errors_total[1m]))","timeout":"500ms","interval":"100ms","expect":{"below":5}}'
procp='{"name":"tgt","type":"process","target":{"cmdline":"^fl-probe-tgt "},"interval":"100ms","min_count":1}'
bystander() { pause '{"pid":'"$TARGET_PID"'}' "$1"; }
json_of() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# ---- libcurl is dlopen()ed by the first http or prometheus probe, not mapped at start
curl_maps() { grep -c libcurl "/proc/$AGENT_PID/maps"; }
n=$(curl_maps)
check "libcurl: not mapped by an idle agent ($n mappings)" [ "$n" -eq 0 ]

# ---- every probe kind passes against a healthy endpoint
f=$(exp kinds '{"version":1,"title":"kinds","hypothesis":{"probes":['"$web,$tcp,$prom,$procp"'],"after":{"within":"5s"}},"faults":['"$(bystander 600ms)"']}')
out=$("$FAULTCTL" run "$f" --wait --json 2>&1); rc=$?
check "all probe kinds healthy: passed (got $rc)" [ "$rc" -eq 0 ]
for p in web port errors tgt; do
	n=$(json_of "[x['samples'] for x in d['probes'] if x['name']=='$p'][0]" <<<"$out")
	check "probe $p took samples ($n)" [ "${n:-0}" -ge 3 ]
done
check "prometheus stub saw the query" grep -qF "sum(rate(errors_total[1m]))" "$T/prom.log"
n=$(curl_maps)
check "libcurl: mapped once an http probe has run ($n mappings)" [ "$n" -gt 0 ]
check "process probe counted the target" grep -q '"status": 0' <<<"$out"

# ---- failures are reported with reasons
dead=$(free_port)
f=$(exp tcpdead '{"version":1,"title":"tcp dead","hypothesis":{"probes":[{"name":"port","type":"tcp","host":"127.0.0.1","port":'"$dead"',"timeout":"200ms","interval":"100ms"}]},"faults":['"$(bystander 1s)"']}')
out=$("$FAULTCTL" run "$f" --wait --json 2>&1); rc=$?
check "tcp probe on a closed port: not_run (got $rc)" [ "$rc" -eq 1 ] && grep -q '"verdict": "not_run"' <<<"$out"
check "tcp failure reason says refused" grep -q "Connection refused" <<<"$out"

# ---- command probe: exit code, output match, timeout kills the whole tree
cmdok='{"name":"cmd","type":"command","argv":["/bin/sh","-c","echo ready; echo more >&2"],"timeout":"2s","interval":"200ms","expect":{"exit_code":0,"stdout_matches":"^ready"}}'
f=$(exp cmdok '{"version":1,"title":"cmd ok","hypothesis":{"probes":['"$cmdok"'],"after":{"within":"5s"}},"faults":['"$(bystander 500ms)"']}')
out=$("$FAULTCTL" run "$f" --wait --json 2>&1); rc=$?
check "command probe: passed (got $rc)" [ "$rc" -eq 0 ]
check "command probe: samples taken" [ "$(json_of "d['probes'][0]['samples']" <<<"$out")" -ge 2 ]
f=$(exp cmdexit '{"version":1,"title":"cmd exit","hypothesis":{"probes":[{"name":"cmd","type":"command","argv":["/bin/sh","-c","exit 3"],"interval":"100ms"}]},"faults":['"$(bystander 500ms)"']}')
out=$("$FAULTCTL" run "$f" --wait --json 2>&1)
check "command probe: wrong exit code fails ($(json_of "d['probes'][0]['last']['reason']" <<<"$out"))" grep -q "exited with 3, expected 0" <<<"$out"
f=$(exp cmdmatch '{"version":1,"title":"cmd match","hypothesis":{"probes":[{"name":"cmd","type":"command","argv":["/bin/echo","not yet"],"interval":"100ms","expect":{"stdout_matches":"^ready$"}}]},"faults":['"$(bystander 500ms)"']}')
out=$("$FAULTCTL" run "$f" --wait --json 2>&1)
check "command probe: output mismatch fails" grep -q "does not match '^ready\$'" <<<"$out"
f=$(exp cmdslow '{"version":1,"title":"cmd slow","hypothesis":{"probes":[{"name":"cmd","type":"command","argv":["/bin/bash","-c","(exec -a fl-grandchild-'$$' sleep 60) & exec -a fl-child-'$$' sleep 60"],"timeout":"300ms","interval":"100ms"}]},"faults":['"$(bystander 500ms)"']}')
out=$("$FAULTCTL" run "$f" --wait --json 2>&1)
check "command probe: timeout reported" grep -q "timed out after 300ms and was killed" <<<"$out"
check "command probe: the child and its child are gone" [ -z "$(pgrep -f "fl-(grand)?child-$$")" ]
left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "probe-$AGENT_PID-*" 2>/dev/null)
check "command probe: its cgroup is gone ($left)" [ -z "$left" ]

# ---- rules trip for real
trip() { # trip NAME PROBES RULE FAULTS [SETUP]: expects verdict aborted naming the rule
	local name=$1 probes=$2 rule=$3 faults=$4 f out rc
	f=$(exp "$name" '{"version":1,"title":"'"$name"'","hypothesis":{"probes":['"$probes"'],"after":{"within":"5s"}},"faults":['"$faults"'],"safety":{"abort_when":['"$rule"']}}')
	out=$("$FAULTCTL" run "$f" --wait --json 2>&1); rc=$?
	check "$name: aborted (exit $rc)" [ "$rc" -eq 1 ]
	check "$name: verdict aborted by the rule" grep -q '"verdict": "aborted"' <<<"$out"
	check "$name: rule marked tripped" [ "$(json_of "[r['tripped'] for r in d['rules']][0]" <<<"$out")" = True ]
	check "$name: breach-to-clean time recorded" grep -q '"breach_to_clean_ms"' <<<"$out"
	LAST_OUT=$out
}
httppause=$(pause '{"pid":'"$HTTP_PID"'}' 20s)
trip ratio "$web" '{"probe":"web","failure_ratio_above":0.5,"window":"2s","min_samples":3}' "$httppause"
check "ratio: server resumed" is_running "$HTTP_PID"
trip budget "$web" '{"probe":"web","slo":0.9,"budget_burn_above":0.5,"window":"5s"}' "$httppause"
check "budget: reason explains the burn" grep -q "of the error budget" <<<"$LAST_OUT"
echo 300 >"$T/prom.delay"
trip p95 "$prom" '{"probe":"errors","latency_p95_above":"150ms","window":"5s","min_samples":3}' "$(bystander 20s)"
trip p99 "$prom" '{"probe":"errors","latency_p99_above":"150ms","window":"5s","min_samples":3}' "$(bystander 20s)"
echo 0 >"$T/prom.delay"
( sleep 0.8; echo 10 >"$T/prom.value" ) &
track $!
prom_loose='{"name":"errors","type":"prometheus","url":"http://127.0.0.1:'$PROM'","query":"errors","timeout":"500ms","interval":"100ms","expect":{"between":[0,100]}}'
trip value_above "$prom_loose" '{"probe":"errors","value_above":5}' "$(bystander 20s)"
check "value_above: sample value recorded" grep -q '"value 10 above 5"\|value 10 above 5' <<<"$LAST_OUT"
echo 1 >"$T/prom.value"
start_target fl-victim2
victim=$TARGET_PID
TARGET_PID=$(pgrep -f '^fl-probe-tgt ' | head -n 1)
procv='{"name":"victims","type":"process","target":{"cmdline":"^fl-victim2 "},"interval":"100ms","min_count":0}'
trip value_below "$procv" '{"probe":"victims","value_below":1}' '{"name":"k","type":"process.kill","target":{"cmdline":"^fl-victim2 "},"signal":"KILL","start_after":"300ms","duration":"20s"}'
check "value_below: the victim is gone" is_gone "$victim"

# ---- lease: the client disappears, the agent rolls back when the lease runs out
f=$(exp lease '{"version":1,"title":"lease","faults":['"$(bystander 60s)"']}')
"$FAULTCTL" run "$f" --wait --lease 1s >"$T/lease.out" 2>&1 &
client=$!
track "$client"
wait_for 10 is_stopped "$TARGET_PID"
check "lease: target paused while the client renews" is_stopped "$TARGET_PID"
sleep 1.5
check "lease: renewals keep the run going past one lease" is_stopped "$TARGET_PID"
kill -KILL "$client"
wait "$client" 2>/dev/null
wait_for 3 is_running "$TARGET_PID"
check "lease: target resumed after the client was killed" is_running "$TARGET_PID"
id=$("$FAULTCTL" list --json | json_of "d[0]['id']")
check "lease: verdict aborted, step lease" [ "$(run_field "$id" "r['verdict']+'/'+r['failed_step']")" = aborted/lease ]

# ---- run windows: refused outside, queued runs start later
now_dow=$(date -u +%a)
other=$([ "$now_dow" = Mon ] && echo Tue || echo Mon)
f=$(exp window '{"version":1,"title":"window","schedule":{"windows":["'"$other"' 02:00-02:01 UTC"]},"faults":['"$(bystander 200ms)"']}')
out=$("$FAULTCTL" run "$f" 2>&1); rc=$?
check "window: refused outside its windows (exit $rc)" [ "$rc" -eq 3 ]
check "window: says when the next one opens ($out)" grep -q "outside every run window; the next opens at" <<<"$out"
f=$(exp queued '{"version":1,"title":"queued","faults":['"$(bystander 200ms)"']}')
id=$("$FAULTCTL" run "$f" --at +2s)
check "queued: listed as queued" [ "$(run_field "$id" "r['phase']")" = queued ]
check "queued: target untouched while queued" is_running "$TARGET_PID"
wait_for 10 bash -c "[ \"\$('$FAULTCTL' status $id --json | grep -c '\"verdict\": \"passed\"')\" = 1 ]"
check "queued: ran and passed after its time" [ "$(run_field "$id" "r['verdict']")" = passed ]

# ---- reports: JUnit against its schema, Markdown, HTML rendered by Chromium
f=$(exp report '{"version":1,"title":"report <&> \"quotes\"","hypothesis":{"probes":['"$web"'],"after":{"within":"5s"}},"faults":['"$httppause"'],"safety":{"abort_when":[{"probe":"web","consecutive_failures":3}]}}')
"$FAULTCTL" run "$f" --wait --junit "$T/junit.xml" --report "$T/report.html" >/dev/null 2>&1; rc=$?
check "report run: aborted (exit $rc)" [ "$rc" -eq 1 ]
check "junit: valid against the schema" xmllint --noout --schema "$HERE/data/junit.xsd" "$T/junit.xml"
check "junit: one failure is the tripped rule" grep -q '<testcase classname="faultline.safety" name="rule web: 3 consecutive failures"' "$T/junit.xml"
check "junit: fault revert passed" grep -q 'name="pause (process.pause) revert" time="[0-9.]*"/>' "$T/junit.xml"
id=$("$FAULTCTL" list --json | json_of "d[0]['id']")
"$FAULTCTL" report "$id" --format md -o "$T/report.md" >/dev/null
for sec in "## What was injected" "## Steady state" "## What broke" "## Timeline" "Time to recover"; do
	check "markdown has '$sec'" grep -qF "$sec" "$T/report.md"
done
"$FAULTCTL" report "$id" --format json >"$T/report.json"
check "json report parses and holds events" [ "$(json_of "len(d['events']) > 5" <"$T/report.json")" = True ]
check "html has the svg timeline" grep -q '<svg xmlns="http://www.w3.org/2000/svg" id="timeline"' "$T/report.html"
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$T/chromium" --window-size=1100,900 --screenshot="$T/report.png" \
	"file://$T/report.html" >/dev/null 2>&1
check "chromium took a screenshot" test -s "$T/report.png"
colours=$(/usr/bin/python3 - "$T/report.png" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
px = im.getdata()
def near(c, t, d=12): return all(abs(a - b) <= d for a, b in zip(c, t))
shade = sum(1 for c in px if near(c, (252, 227, 208)))   # #f4a261 at 30% over white
red = sum(1 for c in px if near(c, (214, 40, 40), 30))     # failed samples and the abort line
print(shade, red)
PY
)
read -r shade red <<<"$colours"
check "screenshot shows the shaded fault window ($shade px)" [ "${shade:-0}" -gt 500 ]
check "screenshot shows failures and the abort in red ($red px)" [ "${red:-0}" -gt 50 ]

# ---- watch in a pseudo-terminal: refreshed in place
f=$(exp watch '{"version":1,"title":"watch","hypothesis":{"probes":['"$web"'],"after":{"within":"5s"}},"faults":['"$(bystander 2s)"'],"safety":{"abort_when":[{"probe":"web","consecutive_failures":5}]}}')
id=$("$FAULTCTL" run "$f")
COLUMNS=120 LINES=40 script -qfec "$FAULTCTL watch $id" "$T/watch.typescript" >/dev/null 2>&1; rc=$?
check "watch: exits with the verdict's code (got $rc)" [ "$rc" -eq 0 ]
check "watch: redraws in place (cursor-up escapes)" grep -q $'\033\\[[0-9]*A' "$T/watch.typescript"
check "watch: shows the probe with p95" grep -q "probe web .* p95" "$T/watch.typescript"
check "watch: shows how close the rule is" grep -q "rule  web: 5 consecutive failures: " "$T/watch.typescript"
check "watch: shows the fault" grep -q "fault pause .*process.pause" "$T/watch.typescript"

t_finish
