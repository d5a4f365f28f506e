#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One agent life under valgrind memcheck (issue #6): start, a short experiment with every kind of
# request around it (probes of three kinds, a pause, an abort, status, list, record, events, an
# invalid experiment, recover), then SIGTERM.  memcheck must report no error and no definite
# leak.  (Stressors re-execute the agent's own binary, which under valgrind is valgrind's: they
# run in the ASan+UBSan build instead, tests/integration/test_sanitizers.sh.)
. "$(dirname "$0")/../lib.sh"
if ! command -v valgrind >/dev/null; then
	skip "valgrind is not installed"
	t_finish
	exit 0
fi
VG_LOG=$T/valgrind.log
PORT=$(free_port)
start_http "$PORT" || { not_ok "start busybox httpd"; t_finish; exit 1; }
start_target fl-valgrind

valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
	--log-file="$VG_LOG" "$FAULTLINED" --log-level debug >>"$T/agent.log" 2>&1 &
AGENT_PID=$!
wait_for 120 "$FAULTCTL" list >/dev/null || { not_ok "the agent did not come up under valgrind"; cat "$VG_LOG"; t_finish; exit 1; }
ok "the agent runs under valgrind"

probes='[{"name":"web","type":"http","url":"http://127.0.0.1:'$PORT'/health","interval":"100ms","timeout":"2s","expect":{"status":[200],"body_contains":"ok"}},
 {"name":"port","type":"tcp","host":"127.0.0.1","port":'$PORT',"interval":"100ms","timeout":"2s"},
 {"name":"procs","type":"process","target":{"cmdline":"^fl-valgrind "},"interval":"100ms","timeout":"2s"}]'
printf '%s\n' '{"version":1,"title":"valgrind","hypothesis":{"probes":'"$probes"',"after":{"within":"10s"}},
 "faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"start_after":"200ms","duration":"500ms"}],
 "safety":{"abort_when":[{"probe":"web","consecutive_failures":50},{"probe":"port","failure_ratio_above":0.9,"window":"5s"},{"probe":"procs","value_below":1}]}}' >"$T/exp.json"
out=$("$FAULTCTL" run --wait --json "$T/exp.json" 2>&1); rc=$?
check "an experiment with three probe kinds and a pause passes under valgrind (exit $rc)" [ "$rc" -eq 0 ]
id=$("$FAULTCTL" list --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
quiet() { "$@" >/dev/null 2>&1; }
check "status of the run answers" quiet "$FAULTCTL" status "$id" --json
check "its report (the record) answers" quiet "$FAULTCTL" report "$id"

printf '%s\n' '{"version":1,"title":"held","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"60s"}]}' >"$T/held.json"
id=$("$FAULTCTL" run "$T/held.json")
wait_for 20 is_stopped "$TARGET_PID"
"$FAULTCTL" abort "$id" >/dev/null
check "abort resumes the target" is_running "$TARGET_PID"
printf '{"version":1,"title":"bad","faults":[{"name":"p","type":"process.pause"}],"bogus":1}\n' >"$T/bad.json"
/usr/bin/python3 - "$FAULTLINE_SOCKET" "$T/bad.json" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((json.dumps({"proto": 1, "cmd": "run", "file": "bad.json", "text": open(sys.argv[2]).read()}) + "\n").encode())
s.sendall(b'{"proto":1,"cmd":"nope"}\n{"proto":1,"cmd":"status","run":"ffffffffffff"}\nnot json\n')
s.settimeout(30)
f = s.makefile()
for _ in range(4):
    f.readline()
PY
"$FAULTCTL" recover >/dev/null 2>&1
check "the agent still serves" quiet "$FAULTCTL" list

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
rc=$?
AGENT_PID=
check "the agent exits 0 under memcheck (got $rc; 99 = errors or definite leaks)" [ "$rc" -eq 0 ]
errs=$(grep -o 'ERROR SUMMARY: [0-9]* errors' "$VG_LOG" | tail -n 1)
check "memcheck: $errs" [ "$errs" = "ERROR SUMMARY: 0 errors" ]
if grep -q 'definitely lost:' "$VG_LOG"; then
	lost=$(grep -o 'definitely lost: [0-9,]* bytes' "$VG_LOG" | tail -n 1)
	check "memcheck: $lost" [ "$lost" = "definitely lost: 0 bytes" ]
else
	check "memcheck: every heap block was freed" grep -q "All heap blocks were freed" "$VG_LOG"
fi
if [ "$T_FAILED" -ne 0 ]; then
	echo "---- valgrind log"
	grep -v '^==[0-9]*== *$' "$VG_LOG" | tail -n 80
fi
t_finish
