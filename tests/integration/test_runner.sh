#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The runner end to end: every verdict reached for real (a real HTTP server, real paused and
# killed processes), abort by faultctl and by safety rule, conflicts, crash recovery.
. "$(dirname "$0")/../lib.sh"

PORT=$(free_port)
start_http "$PORT" || { not_ok "start busybox httpd"; t_finish; exit 1; }
start_agent || { not_ok "start faultlined"; t_finish; exit 1; }

# exp NAME JSON: write an experiment file.
exp() { printf '%s\n' "$2" >"$T/$1.json"; echo "$T/$1.json"; }
probe='{"name":"web","type":"http","url":"http://127.0.0.1:'$PORT'/health","timeout":"300ms","interval":"100ms","expect":{"status":[200],"body_contains":"ok"}}'
pause() { # pause TARGET_JSON DURATION
	echo '{"name":"pause","type":"process.pause","target":'"$1"',"duration":"'"$2"'"}'
}
verdict() { run_field "$1" "r['verdict']"; }

# ---- passed: the service is healthy throughout while an unrelated process is paused
start_target fl-bystander
f=$(exp passed '{"version":1,"title":"passes","hypothesis":{"probes":['"$probe"'],"after":{"within":"5s"}},
 "faults":['"$(pause '{"pid":'"$TARGET_PID"'}' 1s)"']}')
out=$("$FAULTCTL" run "$f" --wait 2>&1); rc=$?
check "passed: exit 0 (got $rc: $out)" [ "$rc" -eq 0 ]
check "passed: the paused bystander runs again" is_running "$TARGET_PID"
check "passed: journal empty" [ "$(journal_count)" -eq 0 ]
id=$("$FAULTCTL" list --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
check "passed: verdict recorded" [ "$(verdict "$id")" = passed ]
check "passed: run record saved" test -s "$FAULTLINE_STATE_DIR/runs/$id.json"

# ---- deviated: pausing the server breaks the hypothesis during injection (no safety rule)
f=$(exp deviated '{"version":1,"title":"deviates","hypothesis":{"probes":['"$probe"'],"after":{"within":"5s"}},
 "faults":['"$(pause '{"pid":'"$HTTP_PID"'}' 1s)"']}')
out=$("$FAULTCTL" run "$f" --wait 2>&1); rc=$?
check "deviated: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "deviated: verdict says so" grep -q deviated <<<"$out"
check "deviated: the server runs again" is_running "$HTTP_PID"

# ---- aborted: a safety rule trips and the agent rolls back by itself, long before 30s
f=$(exp aborted '{"version":1,"title":"aborts","hypothesis":{"probes":['"$probe"'],"after":{"within":"5s"}},
 "faults":['"$(pause '{"pid":'"$HTTP_PID"'}' 30s)"'],
 "safety":{"abort_when":[{"probe":"web","consecutive_failures":2}]}}')
start=$SECONDS
out=$("$FAULTCTL" run "$f" --json --wait 2>&1); rc=$?
check "aborted: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "aborted: well before the fault's 30s" [ $((SECONDS - start)) -lt 20 ]
check "aborted: the server runs again" is_running "$HTTP_PID"
check "aborted: journal empty" [ "$(journal_count)" -eq 0 ]
check "aborted: verdict and rule named" grep -q '"verdict": "aborted"' <<<"$out"
check "aborted: reason names the rule" grep -q "web: 2 consecutive failures" <<<"$out"
check "aborted: time to recover recorded" grep -Eq '"time_to_recover_ms": [0-9]+' <<<"$out"

# ---- not_run: the steady state does not hold before: nothing is injected
f=$(exp notrun '{"version":1,"title":"not run","hypothesis":{"probes":[{"name":"dead","type":"http","url":"http://127.0.0.1:'"$(free_port)"'/","timeout":"200ms","interval":"100ms"}]},
 "faults":['"$(pause '{"pid":'"$TARGET_PID"'}' 5s)"']}')
out=$("$FAULTCTL" run "$f" --json --wait 2>&1); rc=$?
check "not_run: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "not_run: verdict not_run" grep -q '"verdict": "not_run"' <<<"$out"
check "not_run: the fault was skipped" grep -q '"state": "skipped"' <<<"$out"
check "not_run: target never paused" is_running "$TARGET_PID"

# ---- failed in preflight: a target that matches nothing; nothing applied
f=$(exp nomatch '{"version":1,"title":"no match","faults":['"$(pause '{"name":"no-such-proc"}' 1s)"']}')
out=$("$FAULTCTL" run "$f" --wait 2>&1); rc=$?
check "preflight: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "preflight: says the target matches nothing" grep -q "matches no process" <<<"$out"

# ---- cancelled: operator abort returns after the revert, run --wait exits 4
f=$(exp cancel '{"version":1,"title":"cancel","faults":['"$(pause '{"pid":'"$TARGET_PID"'}' 60s)"']}')
"$FAULTCTL" run "$f" --wait >"$T/cancel.out" 2>&1 &
waiter=$!
track "$waiter"
wait_for 10 is_stopped "$TARGET_PID"
check "cancelled: target paused" is_stopped "$TARGET_PID"
id=$("$FAULTCTL" list --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$FAULTCTL" abort "$id" >/dev/null
check "cancelled: running again as soon as abort returns" is_running "$TARGET_PID"
wait "$waiter"; rc=$?
check "cancelled: run --wait exits 4 (got $rc)" [ "$rc" -eq 4 ]
check "cancelled: verdict cancelled" [ "$(verdict "$id")" = cancelled ]

# ---- conflict: a second experiment on the same process is refused, naming the first
f=$(exp hold '{"version":1,"title":"holder","faults":['"$(pause '{"pid":'"$TARGET_PID"'}' 60s)"']}')
id=$("$FAULTCTL" run "$f")
f2=$(exp second '{"version":1,"title":"second","faults":['"$(pause '{"pid":'"$TARGET_PID"'}' 5s)"']}')
out=$("$FAULTCTL" run "$f2" 2>&1); rc=$?
check "conflict: refused with exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "conflict: message names the first run" grep -q "$id" <<<"$out"
"$FAULTCTL" abort --all >/dev/null
check "conflict: abort --all resumes the target" is_running "$TARGET_PID"

# ---- process.kill: the target dies by the requested signal
bystander=$TARGET_PID
start_target fl-victim
victim=$TARGET_PID
TARGET_PID=$bystander
f=$(exp kill '{"version":1,"title":"kill","faults":[{"name":"k","type":"process.kill","target":{"cmdline":"^fl-victim "},"signal":"TERM","duration":"500ms"}]}')
out=$("$FAULTCTL" run "$f" --wait 2>&1); rc=$?
check "kill: exit 0 (got $rc)" [ "$rc" -eq 0 ]
wait "$victim" 2>/dev/null; st=$?
check "kill: killed by SIGTERM (status $st)" [ "$st" -eq $((128 + 15)) ]

# ---- SIGKILL of the agent mid-fault, restart: the journal undoes the pause
f=$(exp crash '{"version":1,"title":"crash","faults":['"$(pause '{"pid":'"$TARGET_PID"'}' 60s)"']}')
"$FAULTCTL" run "$f" >/dev/null
wait_for 10 is_stopped "$TARGET_PID"
kill9_agent
check "crash: still paused after SIGKILL of the agent" is_stopped "$TARGET_PID"
check "crash: one undo record in the journal" [ "$(journal_count)" -eq 1 ]
start_agent
check "crash: restarted agent resumed the target" is_running "$TARGET_PID"
check "crash: journal empty" [ "$(journal_count)" -eq 0 ]

# ---- the same with faultctl recover and no agent at all
"$FAULTCTL" run "$f" >/dev/null
wait_for 10 is_stopped "$TARGET_PID"
kill9_agent
out=$("$FAULTCTL" recover 2>&1); rc=$?
check "recover: exit 0 offline (got $rc: $out)" [ "$rc" -eq 0 ]
check "recover: target running" is_running "$TARGET_PID"
check "recover: journal empty" [ "$(journal_count)" -eq 0 ]

# ---- SIGTERM of the agent rolls back first
start_agent
"$FAULTCTL" run "$f" >/dev/null
wait_for 10 is_stopped "$TARGET_PID"
stop_agent
check "sigterm: target running after the agent stopped" is_running "$TARGET_PID"
check "sigterm: journal empty" [ "$(journal_count)" -eq 0 ]

t_finish
