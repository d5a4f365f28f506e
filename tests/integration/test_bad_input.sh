#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile experiments (issue #6).  Every tests/bad/X.json must make `faultctl validate` print
# exactly tests/bad/X.expected on stderr (FILE:LINE:COL: $.path: message, the file as given),
# nothing on stdout, and exit 2; the agent, sent the same text over the socket, must answer
# with the same error lines and keep running.  Inputs too big for git are made here: a file
# over the size limit, one exactly at it, a million-element array, 60,000 keys, 100,000 levels
# of nesting; each must be answered, completely and quickly.
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3

# ---- the committed corpus ---------------------------------------------------------------------
n=0
for f in tests/bad/*.json; do
	exp=${f%.json}.expected
	n=$((n + 1))
	if [ ! -f "$exp" ]; then
		not_ok "$f: no $exp"
		continue
	fi
	"$FAULTCTL" validate "$f" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && cmp -s "$T/err" "$exp"; then
		ok "validate $f: exit 2, exactly $(wc -l <"$exp") expected error line(s)"
	else
		not_ok "validate $f: exit $rc (want 2); stdout $(wc -c <"$T/out") bytes; stderr differs:"
		diff "$exp" "$T/err" | head -n 20
	fi
done
for exp in tests/bad/*.expected; do
	[ -f "${exp%.expected}.json" ] || not_ok "$exp has no ${exp%.expected}.json"
done
check "the corpus has cases ($n)" [ "$n" -ge 30 ]

# ---- made here ----------------------------------------------------------------------------------
# gen NAME EXIT EXPECTED-FIRST-LINE [LINES]: validate $T/NAME.json within 10s; stderr's first
# line (with $T/ as the path) and its line count must match.
gen() {
	local name=$1 want_rc=$2 want=$3 lines=${4:-1} f=$T/$1.json rc t0 t1 first
	t0=$(date +%s%N)
	timeout 10 "$FAULTCTL" validate "$f" >"$T/out" 2>"$T/err"
	rc=$?
	t1=$(date +%s%N)
	first=$(head -n 1 "$T/err")
	if [ "$rc" -eq "$want_rc" ] && [ "$first" = "${want//@/$f}" ] &&
		[ "$(wc -l <"$T/err")" -eq "$lines" ]; then
		ok "validate $name ($(stat -c %s "$f") bytes): exit $rc in $(((t1 - t0) / 1000000))ms"
	else
		not_ok "validate $name: exit $rc (want $want_rc), $(wc -l <"$T/err") line(s) (want $lines); first: $first; want: ${want//@/$f}"
	fi
}
limit=$((1024 * 1024))
head -c $((2 * limit)) /dev/zero | tr '\0' ' ' >"$T/huge.json"
gen huge 2 "@: larger than the limit of $limit bytes"
# Exactly at the limit: valid, padded with spaces.
body='{"version":1,"title":"at the limit","faults":[{"name":"p","type":"process.pause","target":{"pid":4242},"duration":"1s"}]}'
{ printf '%s' "$body"; head -c $((limit - ${#body})) /dev/zero | tr '\0' ' '; } >"$T/limit.json"
timeout 10 "$FAULTCTL" validate "$T/limit.json" >"$T/out" 2>&1
check "validate a file of exactly $limit bytes: ok ($(cat "$T/out"))" grep -q ': ok$' "$T/out"
$PY -c 'import sys; sys.stdout.write("{\"version\":1,\"title\":\"t\",\"tags\":[" + ",".join(["0"] * 500000) + "],\"faults\":[]}")' >"$T/array.json"
gen array 2 "@:1:34: \$.tags[0]: expected a string" 101
$PY -c 'import sys; sys.stdout.write("{\"version\":1,\"title\":\"t\"," + ",".join("\"k%d\":0" % i for i in range(60000)) + ",\"faults\":[]}")' >"$T/keys.json"
gen keys 2 "@:1:26: \$.k0: unknown key 'k0'" 101
tail -n 1 "$T/err" | grep -q '^'"$T"'/keys.json:[0-9]*:[0-9]*: \$: more than 100 errors; the rest are not shown$' &&
	ok "60,000 unknown keys: the 101st line says the rest are not shown" ||
	not_ok "60,000 unknown keys: last line: $(tail -n 1 "$T/err")"
$PY -c 'import sys; sys.stdout.write("[" * 100000 + "]" * 100000)' >"$T/deep.json"
gen deep 2 "@:1:65: \$$(printf '[0]%.0s' $(seq 64)): nesting deeper than 64 levels"
$PY -c 'import sys; sys.stdout.write("{\"version\":1,\"title\":\"" + "x" * 1000000 + "\",\"faults\":[]}")' >"$T/longstr.json"
gen longstr 2 "@:1:22: \$.title: title must be 1 to 200 characters" 2
$PY -c 'import sys; sys.stdout.write("{\"version\":1,\"title\":\"t\",\"faults\":[" + ",".join("{\"name\":\"p%d\",\"type\":\"process.pause\",\"target\":{\"pid\":%d},\"duration\":\"1s\"}" % (i, 1000 + i) for i in range(7000)) + "]}")' >"$T/faults.json"
gen faults 2 "@:1:35: \$.faults: at most 64 faults"

# ---- the same texts through the agent -----------------------------------------------------------
start_agent || { not_ok "start faultlined"; t_finish; exit 1; }
# Each file as a raw "run" request, one connection each.  Texts that are not valid UTF-8 (or
# hold NUL) cannot be a JSON string: their request is refused at the protocol level instead.
$PY - "$FAULTLINE_SOCKET" tests/bad/*.json "$T/keys.json" "$T/array.json" "$T/deep.json" >"$T/agent.out" <<'PY'
import json, socket, sys, time
sock = sys.argv[1]
for path in sys.argv[2:]:
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
        carried = "\0" not in text
    except UnicodeDecodeError:
        text, carried = raw.decode("utf-8", "surrogateescape"), False
    try:
        req = json.dumps({"proto": 1, "cmd": "run", "file": path, "text": text}) + "\n"
    except UnicodeEncodeError:
        req = None
    if req is None or not carried:
        # Send the bytes anyway (they are not a valid request): the agent must say so.
        body = raw.replace(b'"', b"'").replace(b"\n", b" ").replace(b"\r", b" ")
        req = b'{"proto":1,"cmd":"run","file":"x","text":"' + body + b'"}\n'
    elif isinstance(req, str):
        req = req.encode("utf-8", "surrogateescape")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(sock)
    t0 = time.monotonic()
    s.sendall(req)
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        buf += chunk
    s.close()
    dt = time.monotonic() - t0
    try:
        reply = json.loads(buf.split(b"\n")[0])
    except ValueError:
        print("%s\tBAD-REPLY\t%.3f\t%r" % (path, dt, buf[:200]))
        continue
    code = reply.get("code")
    lines = [e.get("text", "") for e in reply.get("errors", [])]
    print("%s\t%s\t%.3f\t%s" % (path, code if carried else "proto?" + str(code), dt,
                                json.dumps(lines)))
PY
while IFS=$'\t' read -r path code secs lines; do
	name=${path#"$T/"}
	case $code in
	invalid)
		if [[ $path == tests/bad/* ]]; then
			want=$($PY -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().splitlines()))' "${path%.json}.expected")
			if [ "$lines" = "$want" ]; then
				ok "agent: $name refused as invalid with the same error lines (${secs}s)"
			else
				not_ok "agent: $name: lines differ from ${path%.json}.expected: $lines"
			fi
		else
			awk -v s="$secs" 'BEGIN { exit !(s < 5) }' &&
				ok "agent: $name refused as invalid in ${secs}s" ||
				not_ok "agent: $name took ${secs}s"
		fi
		;;
	proto\?proto) ok "agent: $name (not a valid JSON string) refused at the protocol level" ;;
	*) not_ok "agent: $name: reply code $code: $lines" ;;
	esac
done <"$T/agent.out"
check "agent answered every request ($(wc -l <"$T/agent.out"))" \
	[ "$(wc -l <"$T/agent.out")" -eq $((n + 3)) ]
check "agent still alive" kill -0 "$AGENT_PID"
check "agent still serves" "$FAULTCTL" list

t_finish
