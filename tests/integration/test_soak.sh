#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak (issue #6): SOAK_N short experiments in a row (default 1000; `make soak SOAK_N=...`), each
# pausing a process for 10ms.  The agent's resident memory and open descriptors must come back
# to where they were after a warm-up (the runner keeps the last 128 finished runs in memory, so
# the warm-up is longer than that), every run must have a complete record (its verdict, times,
# and every event up to "end"), and nothing may be
# left: the target runs, the journal is empty.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
N=${SOAK_N:-1000}
# Memory settles once the runner holds its 128 finished runs and the heap has grown to fit
# them (some 400 runs here); then it must stay put.
WARM=$((N < 1000 ? N / 2 : 500))

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$AGENT_PID/status"; }
nfds() { ls "/proc/$AGENT_PID/fd" | wc -l; }

start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
start_target fl-soak
f=$T/soak.json
printf '%s\n' '{"version":1,"title":"soak","faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"10ms"}]}' >"$f"

failed=0
t0=$SECONDS
for ((i = 1; i <= N; i++)); do
	if ! "$FAULTCTL" run --wait "$f" >"$T/run.out" 2>&1; then
		failed=$((failed + 1))
		[ "$failed" -le 3 ] && echo "# run $i: $(cat "$T/run.out")"
	fi
	if [ "$i" -eq "$WARM" ]; then
		rss0=$(rss_kb)
		fds0=$(nfds)
		echo "# after $i runs: VmRSS ${rss0}kB, $fds0 descriptors"
	fi
done
sleep 0.2
rss1=$(rss_kb)
fds1=$(nfds)
echo "# after $N runs ($((SECONDS - t0))s): VmRSS ${rss1}kB, $fds1 descriptors"
check "$N runs: every one passed ($failed did not)" [ "$failed" -eq 0 ]
if [ -n "${FAULTLINE_SANITIZED:-}" ]; then
	skip "VmRSS bound: not meaningful under ASan (quarantine, shadow); its leak check runs at exit"
else
	check "VmRSS after $N runs (${rss1}kB) within 2MiB of after $WARM (${rss0}kB)" \
		[ "$rss1" -le $((rss0 + 2048)) ]
fi
# Runs with many probe samples: only the 4 most recent finished runs keep their events (some
# 2 KB per sample) in the agent's memory; older ones are read back from their record files.
SAMPLED=10
g=$T/sampled.json
printf '%s\n' '{"version":1,"title":"sampled","hypothesis":{"probes":[{"name":"alive","type":"process","target":{"pid":'"$TARGET_PID"'},"interval":"10ms"}],"before":{"duration":"3s"}},"faults":[{"name":"p","type":"process.pause","target":{"pid":'"$TARGET_PID"'},"duration":"10ms"}]}' >"$g"
for ((i = 1; i <= SAMPLED; i++)); do
	id=$("$FAULTCTL" run --wait --json "$g" 2>/dev/null | $PY -c 'import json, sys; print(json.load(sys.stdin)["id"])')
	[ "$i" -eq 1 ] && first=$id
	[ "$i" -eq 5 ] && rss2=$(rss_kb)
done
rss3=$(rss_kb)
echo "# $SAMPLED runs of 3 s with a probe every 10 ms: VmRSS ${rss2}kB after the 5th, ${rss3}kB after the last"
if [ -z "${FAULTLINE_SANITIZED:-}" ]; then
	check "VmRSS after $SAMPLED sampled runs (${rss3}kB) within 1MiB of after the 5th (${rss2}kB)" \
		[ "$rss3" -le $((rss2 + 1024)) ]
fi
samples_of() { # the record's sample events, as faultctl report --json gets them
	"$FAULTCTL" report "$1" --format json 2>/dev/null |
		$PY -c 'import json, sys; print(sum(1 for e in json.load(sys.stdin)["events"] if e["type"] == "sample"))'
}
replayed() { # the events the agent replays for a finished run, until it closes the stream
	$PY - "$FAULTLINE_SOCKET" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(json.dumps({"proto": 1, "cmd": "events", "run": sys.argv[2]}).encode() + b"\n")
buf = b""
while True:
    chunk = s.recv(1 << 16)
    if not chunk:
        break
    buf += chunk
lines = [json.loads(l) for l in buf.split(b"\n") if l.strip()]
evs = [l["event"] for l in lines if "event" in l]
print(sum(1 for e in evs if e["type"] == "sample"), evs[-1]["type"] if evs else "none")
PY
}
for which in "$first" "$id"; do
	age="an older finished run's"
	[ "$which" = "$id" ] && age="the last run's"
	n=$(samples_of "$which")
	check "$age record has its samples ($n, want at least 250)" [ "${n:-0}" -ge 250 ]
	out=$(replayed "$which")
	check "$age events are replayed ($out)" \
		bash -c "[ \"${out% *}\" -ge 250 ] && [ \"${out#* }\" = end ]"
done

# A clean stop, so that a sanitizer build checks for leaks on the way out.
stop_agent
check "open descriptors after $N runs ($fds1) as after $WARM ($fds0)" [ "$fds1" -le "$fds0" ]
check "the target runs" is_running "$TARGET_PID"
check "the journal is empty" [ "$(journal_count)" -eq 0 ]
check "no temporary files left in the state dir" \
	[ -z "$(find "$FAULTLINE_STATE_DIR" -name '*.tmp' -o -name '*.corrupt')" ]
out=$($PY - "$FAULTLINE_STATE_DIR/runs" "$((N + SAMPLED))" <<'PY'
import json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
bad = []
files = [x for x in os.listdir(d) if x.endswith(".json")]
for name in files:
    r = json.load(open(os.path.join(d, name)))
    ev = r.get("events", [])
    f = r["faults"][0]
    if (r.get("verdict") != "passed" or r.get("phase") != "done" or not r.get("ended_at")
            or f.get("state") != "reverted" or not f.get("applied_at") or not f.get("reverted_at")
            or not ev or ev[-1].get("type") != "end" or r.get("events_dropped")):
        bad.append(name)
print("%d records, %d incomplete %s" % (len(files), len(bad), " ".join(bad[:5])))
sys.exit(0 if len(files) == n and not bad else 1)
PY
)
check "every run has a complete record in runs/ ($out)" [ $? -eq 0 ]
t_finish
