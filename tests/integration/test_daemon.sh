#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# faultlined as a system daemon: the config file (refusals with FILE:LINE, flags over it,
# limits enforced), log formats, sd_notify readiness, the metrics endpoint scraped and parsed
# strictly while a run is active and after it, protected process names, faultctl version.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROMPARSE="/usr/bin/python3 $ROOT/tests/helpers/promparse.py"

# rc_says WANT_RC GOT_RC PATTERN TEXT: the exit code is WANT_RC and TEXT matches PATTERN.
rc_says() { [ "$2" -eq "$1" ] && grep -qE -- "$3" <<<"$4"; }

# ---- config refusals: exit 2, FILE:LINE: message, nothing touched ---------------------------
# refuse NAME EXPECTED CONFIG-TEXT: the agent refuses to start with a message matching EXPECTED.
refuse() {
	local name=$1 want=$2 conf="$T/$1.conf" out rc
	printf '%s\n' "$3" >"$conf"
	out=$("$FAULTLINED" --config "$conf" --socket "$T/refused.sock" --state-dir "$T/refused" 2>&1)
	rc=$?
	check "config $name: exit 2 (got $rc)" [ "$rc" -eq 2 ]
	check "config $name: '$want' ($out)" grep -qE "^$conf:$want" <<<"$out"
	check "config $name: nothing created" test ! -e "$T/refused.sock" -a ! -e "$T/refused"
}
refuse unknown "3: unknown key 'max_loss'" $'# limits\nmax_duration = 10m\nmax_loss = 5'
refuse duplicate "2: duplicate key 'socket' \\(first set on line 1\\)" \
	$'socket = /run/a.sock\nsocket = /run/b.sock'
refuse noeq "1: expected 'key = value'" 'log_level debug'
refuse empty "1: 'log_level' has no value" 'log_level ='
refuse badlevel "1: 'log_level': 'loud' is not one of" 'log_level = loud'
refuse badduration "2: 'max_duration': '10' is not a positive duration" $'\nmax_duration = 10'
refuse percent "1: 'max_loss_percent': '150' is not a number from 0 to 100" 'max_loss_percent = 150'
refuse comm "1: 'protected_processes': 'a-very-long-process' is longer than 15" \
	'protected_processes = sshd, a-very-long-process'
refuse relpath "1: 'state_dir': must be an absolute path" 'state_dir = var/lib/x'
refuse inline "1: 'log_format': comments go on a line of their own" 'log_format = json # for loki'
refuse metrics "1: 'metrics': 'localhost:9464' is not 'off' or a numeric" 'metrics = localhost:9464'
refuse boolean "1: 'ssh_exclusion': 'maybe' is not yes or no" 'ssh_exclusion = maybe'
# Every problem is reported, not only the first.
printf 'bogus = 1\nlog_level = loud\n' >"$T/many.conf"
out=$("$FAULTLINED" --config "$T/many.conf" 2>&1)
check "config: every error reported ($out)" \
	[ "$(grep -cE "^$T/many.conf:[12]: " <<<"$out")" -eq 2 ]
out=$("$FAULTLINED" --config "$T/none.conf" 2>&1); rc=$?
check "config: a missing --config file is an error (rc $rc: $out)" \
	rc_says 2 "$rc" "$T/none.conf: cannot read: No such file" "$out"
out=$(FAULTLINE_CONFIG=$T/none.conf "$FAULTLINED" --check-config 2>&1); rc=$?
check "config: a missing \$FAULTLINE_CONFIG file is an error (rc $rc)" [ "$rc" -eq 2 ]
out=$(env -u FAULTLINE_CONFIG "$FAULTLINED" --check-config --config "$ROOT/dist/faultlined.conf" 2>&1)
check "config: the shipped faultlined.conf is valid ($out)" [ "$out" = "$ROOT/dist/faultlined.conf: ok" ]
# Every key the shipped file documents, uncommented, is accepted.
sed -E 's/^#([a-z_]+ = )/\1/' "$ROOT/dist/faultlined.conf" >"$T/all.conf"
n=$(grep -cE '^[a-z_]+ = ' "$T/all.conf")
out=$("$FAULTLINED" --check-config --config "$T/all.conf" 2>&1); rc=$?
check "config: all $n documented keys accepted (rc $rc: $out)" [ "$rc" -eq 0 -a "$n" -ge 13 ]

# ---- flags override the file; the file overrides the defaults --------------------------------
cat >"$T/agent.conf" <<EOF
# written by test_daemon.sh
socket = $T/from-config.sock
state_dir = $T/state
log_format = json
log_level = debug
max_duration = 10s
protected_processes = fl-protected
max_cpu_percent = 50
max_memory_percent = 1
EOF
"$FAULTLINED" --config "$T/agent.conf" --socket "$T/from-flag.sock" --log-format human \
	2>"$T/override.log" &
AGENT_PID=$!
wait_for 10 "$FAULTCTL" --socket "$T/from-flag.sock" list >/dev/null
kill -HUP "$AGENT_PID" # logged at debug level only
wait_for 5 grep -q 'ignoring Hangup' "$T/override.log"
check "flags: --socket overrides the file's socket" test -S "$T/from-flag.sock"
check "flags: the file's socket is not used" test ! -e "$T/from-config.sock"
check "flags: --log-format human overrides json" \
	grep -qE '^[0-9T:.-]+Z faultlined (notice|info|debug): ' "$T/override.log"
check "config: log_level = debug from the file is in effect" \
	grep -q ' faultlined debug: ignoring Hangup' "$T/override.log"
stop_agent

# Socket from the file (no flag, no environment); limits from the file.
env -u FAULTLINE_SOCKET "$FAULTLINED" --config "$T/agent.conf" 2>"$T/json.log" &
AGENT_PID=$!
export FAULTLINE_SOCKET=$T/from-config.sock
wait_for 10 "$FAULTCTL" list >/dev/null
check "config: socket from the file ($(tail -2 "$T/json.log"))" test -S "$T/from-config.sock"
check "config: faultctl finds the socket in the same file" \
	env -u FAULTLINE_SOCKET FAULTLINE_CONFIG="$T/agent.conf" "$FAULTCTL" list
check "config: flags and environment still win for faultctl" bash -c \
	"! FAULTLINE_CONFIG='$T/agent.conf' '$FAULTCTL' --socket '$T/none.sock' list 2>/dev/null"

# max_duration = 10s from the file: an experiment asking for 1m is refused by the agent.
start_target fl-longrun
exp() { printf '%s\n' "$2" >"$T/$1.json"; echo "$T/$1.json"; }
f=$(exp long '{"version":1,"title":"long","faults":[{"name":"p","type":"process.pause",
 "target":{"pid":'"$TARGET_PID"'},"duration":"1s"}],"safety":{"max_duration":"1m"}}')
out=$("$FAULTCTL" run --dry-run "$f" 2>&1); rc=$?
check "limits: max_duration from the file refuses 1m (rc $rc: $out)" \
	rc_says 2 "$rc" "exceeds the agent's limit of 10s" "$out"

# protected_processes: by pid it fails preflight, by name it matches nothing; never touched.
cp /bin/sleep "$T/fl-protected"
"$T/fl-protected" 600 &
PROT=$!
track "$PROT"
wait_for 5 grep -qx fl-protected "/proc/$PROT/comm"
f=$(exp prot-pid '{"version":1,"title":"protected by pid","faults":[{"name":"p",
 "type":"process.pause","target":{"pid":'"$PROT"'},"duration":"1s"}]}')
out=$("$FAULTCTL" run --wait "$f" 2>&1); rc=$?
check "protected: by pid, refused in preflight (rc $rc: $out)" \
	rc_says 3 "$rc" "is pid $PROT, which is protected" "$out"
f=$(exp prot-name '{"version":1,"title":"protected by name","faults":[{"name":"p",
 "type":"process.pause","target":{"name":"fl-protected"},"duration":"1s"}]}')
out=$("$FAULTCTL" run --wait "$f" 2>&1); rc=$?
check "protected: by name, matches no process (rc $rc: $out)" \
	rc_says 3 "$rc" "matches no process" "$out"
check "protected: the process was never stopped" is_running "$PROT"
f=$(exp unprot '{"version":1,"title":"not protected","faults":[{"name":"p",
 "type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"300ms"}]}')
out=$("$FAULTCTL" run --wait "$f" 2>&1); rc=$?
check "protected: other processes are still targets (rc $rc: $out)" [ "$rc" -eq 0 ]
# The stressors' agent-wide caps.
f=$(exp cpu-cap '{"version":1,"title":"cpu cap","faults":[{"name":"c","type":"cpu.stress",
 "load":80,"cores":1,"duration":"1s"}]}')
out=$("$FAULTCTL" run --wait "$f" 2>&1); rc=$?
check "limits: cpu.stress above max_cpu_percent refused (rc $rc: $out)" \
	grep -q "80% is above the agent's max_cpu_percent (50)" <<<"$out"
f=$(exp mem-cap '{"version":1,"title":"memory cap","faults":[{"name":"m","type":"memory.stress",
 "percent":5,"duration":"1s"}]}')
out=$("$FAULTCTL" run --wait "$f" 2>&1); rc=$?
check "limits: memory.stress above max_memory_percent refused (rc $rc: $out)" \
	rc_says 3 "$rc" "more than the agent.s max_memory_percent [(]1% of MemTotal[)]" "$out"
check "limits: no stressor was started" [ -z "$(ps -eo comm | grep '^faultline-')" ]
stop_agent

# ---- log formats ---------------------------------------------------------------------------
check "log json: every line is an object with time, level, priority, message" \
	/usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 3, lines
for l in lines:
    o = json.loads(l)
    assert set(o) == {"time", "level", "priority", "message"}, o
    assert o["priority"] in (3, 4, 5, 6, 7), o
    assert o["level"] in ("error", "warning", "notice", "info", "debug"), o
' "$T/json.log"

# run_agent LOG ARGS...: start, wait until it answers, stop; its stderr in LOG.
run_agent() {
	local log=$1
	shift
	"$FAULTLINED" "$@" 2>"$log" &
	AGENT_PID=$!
	wait_for 10 "$FAULTCTL" list >/dev/null
	stop_agent
}
journal_lines() { grep -vqE '^<[3-7]>[^<]' "$1" && return 1; [ -s "$1" ]; }
run_agent "$T/journal.log" --log-format journal
check "log journal: every line starts with a priority prefix" journal_lines "$T/journal.log"
check "log journal: notice is <5>" grep -q '^<5>faultlined .* listening on' "$T/journal.log"
check "log journal: no timestamps (journald adds them)" \
	bash -c "! grep -qE '^<[0-9]>[0-9]{4}-' '$T/journal.log'"

# auto: journal prefixes when stderr is the stream $JOURNAL_STREAM names ...
exec 7>"$T/auto-js.log"
js=$(stat -c '%d:%i' "$T/auto-js.log")
JOURNAL_STREAM=$js "$FAULTLINED" 2>&7 &
AGENT_PID=$!
wait_for 10 "$FAULTCTL" list >/dev/null
stop_agent
exec 7>&-
check "log auto: \$JOURNAL_STREAM matching stderr gives journal prefixes" \
	journal_lines "$T/auto-js.log"
# ... but not when $JOURNAL_STREAM names some other stream (inherited by a child).
JOURNAL_STREAM=1:1 run_agent "$T/auto-other.log"
check "log auto: a \$JOURNAL_STREAM of another stream is ignored" \
	grep -qE '^[0-9T:.-]+Z faultlined notice: ' "$T/auto-other.log"
INVOCATION_ID=0123456789abcdef0123456789abcdef run_agent "$T/auto-inv.log"
check "log auto: under systemd (INVOCATION_ID), stderr not a tty: journal" \
	journal_lines "$T/auto-inv.log"
run_agent "$T/auto-plain.log"
check "log auto: otherwise human lines" grep -qE '^[0-9T:.-]+Z faultlined notice: ' \
	"$T/auto-plain.log"
# On a terminal, even under systemd, a human reads it.
script -qec "env INVOCATION_ID=1 timeout -s INT 2 $FAULTLINED --socket $T/tty.sock \
	--state-dir $T/tty-state" /dev/null >"$T/tty.log" 2>&1
check "log auto: human lines on a terminal" grep -qE '^[0-9T:.-]+Z faultlined notice: ' \
	"$T/tty.log"

# ---- sd_notify: READY=1 once it serves, STOPPING=1 when it stops --------------------------
# notify_listen ADDR OUT: a datagram listener (path, or @abstract) writing what it gets to OUT.
notify_listen() {
	/usr/bin/python3 - "$1" "$2" <<'PY' &
import socket, sys, time
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\0' + addr[1:] if addr.startswith('@') else addr)
open(out + '.ready', 'w').close()
s.settimeout(30)
with open(out, 'a') as f:
    try:
        while True:
            msg = s.recv(4096).decode()
            f.write('%.6f %s\n' % (time.monotonic(), msg.replace('\n', '|')))
            f.flush()
            if 'STOPPING=1' in msg:
                break
    except socket.timeout:
        pass
PY
	NOTIFY_PID=$!
	track "$NOTIFY_PID"
	wait_for 5 test -e "$2.ready"
}
for addr in "$T/notify.sock" "@faultline-test-$$"; do
	n="$T/notify-$RANDOM.log"
	notify_listen "$addr" "$n"
	NOTIFY_SOCKET=$addr "$FAULTLINED" 2>>"$T/notify-agent.log" &
	AGENT_PID=$!
	wait_for 10 grep -q 'READY=1' "$n"
	# At READY the socket must already answer: systemd starts dependants right then.
	check "notify $addr: READY=1 sent" grep -q 'READY=1' "$n"
	check "notify $addr: the socket answers at READY" "$FAULTCTL" list >/dev/null
	check "notify $addr: no STOPPING before the stop" bash -c "! grep -q STOPPING '$n'"
	stop_agent
	wait "$NOTIFY_PID" 2>/dev/null
	check "notify $addr: STOPPING=1 on SIGTERM" grep -q 'STOPPING=1' "$n"
done
out=$(NOTIFY_SOCKET=relative/path timeout -s TERM 2 "$FAULTLINED" 2>&1)
check "notify: a bad \$NOTIFY_SOCKET is a warning, not fatal" \
	grep -q 'cannot notify the service manager' <<<"$out"

# ---- metrics --------------------------------------------------------------------------------
PORT=$(free_port)
HTTP_PORT=$(free_port)
start_http "$HTTP_PORT" || not_ok "start busybox httpd"
start_agent --metrics "127.0.0.1:$PORT" || { not_ok "start faultlined with --metrics"; t_finish; exit 1; }
URL=http://127.0.0.1:$PORT/metrics
check "metrics: listens on 127.0.0.1:$PORT only" \
	bash -c "ss -Htln 'sport = :$PORT' | awk '{print \$4}' | grep -qx '127.0.0.1:$PORT'"

# scrape NAME: fetch with curl and parse strictly into $T/NAME.json.
scrape() {
	curl -fsS --max-time 5 -o "$T/$1.txt" -D "$T/$1.hdr" "$URL" &&
		$PROMPARSE "$T/$1.txt" >"$T/$1.json"
}
# value NAME EXPR: a value from a parsed scrape, via python (f = families, s(...) = samples).
value() {
	/usr/bin/python3 - "$T/$1.json" "$2" <<'PY'
import json, sys
fam = json.load(open(sys.argv[1]))['families']
def s(name, **labels):
    for fname, f in fam.items():
        for n, l, v in f['samples']:
            if n == name and all(l.get(k) == w for k, w in labels.items()):
                yield float(v)
def one(name, **labels):
    v = list(s(name, **labels))
    assert len(v) == 1, (name, labels, v)
    return v[0]
r = eval(sys.argv[2])
print(r if not isinstance(r, float) or r != int(r) else int(r))
PY
}

check "metrics: idle scrape parses strictly" scrape idle
check "metrics: content type is the 0.0.4 text format" \
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/idle.hdr"
check "metrics: every run counter is 0" [ "$(value idle 'sum(s("faultline_runs_total"))')" = 0 ]
check "metrics: a verdict label for each verdict" \
	[ "$(value idle 'len(list(s("faultline_runs_total")))')" = 6 ]
check "metrics: faults_active has process.pause at 0" \
	[ "$(value idle 'one("faultline_faults_active", kind="process.pause")')" = 0 ]
check "metrics: rollback histogram empty" \
	[ "$(value idle 'one("faultline_rollback_duration_seconds_count")')" = 0 ]
check "metrics: build info" [ "$(value idle 'one("faultline_build_info")')" = 1 ]

start_target fl-metrics-cont
start_target fl-metrics-target
probe='{"name":"web","type":"http","url":"http://127.0.0.1:'$HTTP_PORT'/health","timeout":"300ms","interval":"100ms"}'
f=$(exp metrics '{"version":1,"title":"metrics","hypothesis":{"probes":['"$probe"'],"after":{"within":"5s"}},
 "faults":[{"name":"pause","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"3s"},
 {"name":"cont","type":"process.kill","signal":"CONT","interval":"100ms",
  "target":{"cmdline":"^fl-metrics-cont "},"duration":"3s"}]}')
id=$("$FAULTCTL" run "$f")
wait_for 10 is_stopped "$TARGET_PID"
sleep 0.5
check "metrics: scrape during the run parses strictly" scrape active
check "metrics: one run active" [ "$(value active 'one("faultline_runs_active")')" = 1 ]
check "metrics: process.pause active" \
	[ "$(value active 'one("faultline_faults_active", kind="process.pause")')" = 1 ]
check "metrics: process.kill active" \
	[ "$(value active 'one("faultline_faults_active", kind="process.kill")')" = 1 ]
check "metrics: the probe's latency histogram has samples" \
	[ "$(value active 'one("faultline_probe_latency_seconds_count", run="'"$id"'", probe="web", kind="http")')" -gt 3 ]
check "metrics: a fault's status counter is exported (signalled)" \
	[ "$(value active 'one("faultline_fault_status_value", run="'"$id"'", fault="cont", key="signalled")')" -ge 1 ]
wait_for 20 bash -c "'$FAULTCTL' status $id --json | grep -q '\"verdict\": \"passed\"'"
check "metrics: scrape after the run parses strictly" scrape after
check "metrics: runs_total{verdict=passed} is 1" \
	[ "$(value after 'one("faultline_runs_total", verdict="passed")')" = 1 ]
check "metrics: nothing active after" \
	[ "$(value after 'sum(s("faultline_faults_active")) + one("faultline_runs_active")')" = 0 ]
check "metrics: one rollback measured" \
	[ "$(value after 'one("faultline_rollback_duration_seconds_count")')" = 1 ]
check "metrics: the finished run's status values are gone" \
	[ "$(value after 'len(list(s("faultline_fault_status_value")))')" = 0 ]
check "metrics: the probe histogram is still there, +Inf = count" \
	[ "$(value after 'one("faultline_probe_latency_seconds_bucket", run="'"$id"'", le="+Inf") == one("faultline_probe_latency_seconds_count", run="'"$id"'")')" = True ]

# HTTP edge cases: only GET/HEAD /metrics; bounded requests; HTTP/1.0; bounded connections.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "metrics: GET / is 404" [ "$(code "http://127.0.0.1:$PORT/")" = 404 ]
check "metrics: POST is 405" [ "$(code -X POST "$URL")" = 405 ]
check "metrics: HEAD is 200" [ "$(code -I "$URL")" = 200 ]
check "metrics: HTTP/1.0 is served" [ "$(code --http1.0 "$URL")" = 200 ]
check "metrics: a query string is ignored" [ "$(code "$URL?x=1")" = 200 ]
check "metrics: a 9 KiB request is refused with 431" \
	[ "$(code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$URL")" = 431 ]
out=$(/usr/bin/python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    return s
idle = [conn() for _ in range(16)]
extra = conn()
first = extra.recv(100).decode(errors='replace').split('\r\n')[0]
for s in idle:
    s.close()
import time
time.sleep(0.3)
s = conn()
s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
data = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(first, '|', data.split(b'\r\n')[0].decode())
PY
)
check "metrics: the 17th concurrent connection gets 503 ($out)" grep -q '^HTTP/1.1 503' <<<"$out"
check "metrics: served again once connections close ($out)" grep -q '| HTTP/1.1 200 OK' <<<"$out"
garbage=$(printf 'NONSENSE\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; head -1 <&3")
check "metrics: a malformed request gets 400 ($garbage)" grep -q '^HTTP/1.1 400' <<<"$garbage"
check "metrics: the agent still answers" "$FAULTCTL" list >/dev/null
check "metrics: still parses after all that" scrape final
out=$("$FAULTLINED" --metrics localhost:1 2>&1); rc=$?
check "metrics: a host name is refused (rc $rc)" rc_says 2 "$rc" "invalid --metrics" "$out"

# ---- faultctl version: libraries and kernel features ---------------------------------------
check "version: agent and client libraries, kernel features" /usr/bin/python3 -c '
import json, subprocess, sys
v = json.loads(subprocess.check_output([sys.argv[1], "version", "--json"]))
for side in (v["client"], v["agent"]):
    assert set(side["libraries"]) == {"libbpf", "libnl", "jansson", "libcurl", "zlib"}, side
    assert all(side["libraries"].values()), side
assert v["kernel_detected_by"] == "faultlined", v
for k in ("netem", "tcx", "cgroup2", "btf"):
    f = v["kernel"][k]
    assert f["available"] in (True, False, None) and f["detail"], (k, f)
assert v["kernel"]["btf"]["available"] == __import__("os").path.exists("/sys/kernel/btf/vmlinux")
' "$FAULTCTL"
out=$("$FAULTCTL" version)
check "version: text names each feature" \
	bash -c "for k in netem tcx cgroup2 btf; do grep -qE \"^  \$k +(yes|no|unknown) \" <<<'$out' || exit 1; done"
check "version: text names the libraries" grep -q 'built with libbpf .*jansson .*libcurl ' <<<"$out"
stop_agent
out=$("$FAULTCTL" version --json)
check "version: without an agent faultctl detects the kernel itself" \
	grep -q '"kernel_detected_by": "faultctl"' <<<"$out"

t_finish
