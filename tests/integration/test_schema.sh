#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lint experiments against experiments/schema.json (JSON Schema draft 2020-12) with Debian's
# python3-jsonschema: every experiments/*.json and every full experiment in
# docs/experiment-format.md must be valid; a set of deliberately bad documents must not be.
# The C validator (faultctl validate) remains the authority; this keeps the schema honest.
# With build/faultctl (make) every document is also cross-checked against it: what the schema
# accepts faultctl accepts, what both should reject it rejects (exit 2), and a few documents
# show what only the agent can check. Without build/faultctl those checks are skipped.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMA="$ROOT/experiments/schema.json"
DOC="$ROOT/docs/experiment-format.md"
PY=/usr/bin/python3 # not a pyenv python that may come first in PATH
FAULTCTL="$ROOT/build/faultctl"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/faultline-schema.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

if ! "$PY" -c 'from jsonschema import Draft202012Validator' 2>"$TMP/err"; then
	bad "python3-jsonschema with Draft202012Validator is needed (apt-get install python3-jsonschema): $(tail -n1 "$TMP/err")"
	finish
fi

# check.py SCHEMA FILE: exit 0 when valid, 1 (errors on stdout) when invalid, 2 on bad JSON.
# Duplicate keys are rejected here too, as by the C parser (the schema cannot see them).
cat >"$TMP/check.py" <<'EOF'
import json, sys
from jsonschema import Draft202012Validator

def no_dups(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate key %r" % k)
        seen[k] = v
    return seen

def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_dups)

schema = load(sys.argv[1])
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
try:
    doc = load(sys.argv[2])
except ValueError as e:
    print("%s: %s" % (sys.argv[2], e))
    sys.exit(2)
errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
for e in errs:
    print("%s: %s: %s" % (sys.argv[2], e.json_path, e.message))
sys.exit(1 if errs else 0)
EOF

# extract.py DOC OUTDIR: every ```json block of DOC that holds a whole experiment.
cat >"$TMP/extract.py" <<'EOF'
import json, os, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
n = 0
for m in re.finditer(r"^```json\n(.*?)^```", text, re.S | re.M):
    block = m.group(1)
    try:
        doc = json.loads(block)
    except ValueError:
        continue
    if isinstance(doc, dict) and "version" in doc:
        n += 1
        line = text.count("\n", 0, m.start()) + 2
        with open(os.path.join(sys.argv[2], "doc-line%d.json" % line), "w") as f:
            f.write(block)
print(n)
EOF

# 1. The schema itself is a valid draft 2020-12 schema.
if "$PY" - "$SCHEMA" >"$TMP/out" 2>&1 <<'EOF'; then
import json, sys
from jsonschema import Draft202012Validator
Draft202012Validator.check_schema(json.load(open(sys.argv[1])))
EOF
	ok "schema.json is a valid draft 2020-12 schema"
else
	bad "schema.json is not a valid schema:"
	sed 's/^/     /' "$TMP/out"
	finish
fi

expect_valid() { # LABEL FILE
	if "$PY" "$TMP/check.py" "$SCHEMA" "$2" >"$TMP/out" 2>&1; then
		ok "$1"
	else
		bad "$1 (expected valid)"
		sed 's/^/     /' "$TMP/out"
	fi
}

expect_invalid() { # LABEL FILE [PATTERN]: rejected, and the errors mention PATTERN
	local rc
	"$PY" "$TMP/check.py" "$SCHEMA" "$2" >"$TMP/out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		bad "$1 (expected invalid, schema accepted it)"
	elif [ "$rc" -gt 2 ]; then
		bad "$1 (checker crashed)"
		sed 's/^/     /' "$TMP/out"
	elif [ -n "${3:-}" ] && ! grep -qE -- "$3" "$TMP/out"; then
		bad "$1 (rejected, but no error matches /$3/)"
		sed 's/^/     /' "$TMP/out"
	else
		ok "$1"
	fi
}

# The same documents through the C validator: faultctl validate exits 0 or 2.
if [ ! -x "$FAULTCTL" ]; then
	echo "skip faultctl cross-checks: build/faultctl is missing (run make)"
	FAULTCTL=
fi

agent_valid() { # LABEL FILE
	[ -n "$FAULTCTL" ] || return 0
	if "$FAULTCTL" validate "$2" >"$TMP/aout" 2>&1; then
		ok "faultctl accepts: $1"
	else
		bad "faultctl accepts: $1 (faultctl validate rejected it)"
		sed 's/^/     /' "$TMP/aout"
	fi
}

agent_invalid() { # LABEL FILE [PATTERN]: exit 2, and the errors mention PATTERN
	local rc
	[ -n "$FAULTCTL" ] || return 0
	"$FAULTCTL" validate "$2" >"$TMP/aout" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		bad "faultctl rejects: $1 (faultctl validate accepted it)"
	elif [ "$rc" -ne 2 ]; then
		bad "faultctl rejects: $1 (exit $rc, expected 2)"
		sed 's/^/     /' "$TMP/aout"
	elif [ -n "${3:-}" ] && ! grep -qE -- "$3" "$TMP/aout"; then
		bad "faultctl rejects: $1 (rejected, but no error matches /$3/)"
		sed 's/^/     /' "$TMP/aout"
	else
		ok "faultctl rejects: $1"
	fi
}

# 2. Every shipped example.
n=0
for f in "$ROOT"/experiments/*.json; do
	[ "$f" = "$SCHEMA" ] && continue
	[ -e "$f" ] || continue
	n=$((n + 1))
	expect_valid "example ${f#"$ROOT"/}" "$f"
	agent_valid "example ${f#"$ROOT"/}" "$f"
done
[ "$n" -gt 0 ] || bad "no example experiments found in experiments/"

# 3. Whole experiments quoted in the format reference.
if [ -f "$DOC" ]; then
	mkdir -p "$TMP/doc"
	n=$("$PY" "$TMP/extract.py" "$DOC" "$TMP/doc")
	if [ "${n:-0}" -gt 0 ]; then
		for f in "$TMP"/doc/*.json; do
			expect_valid "docs/experiment-format.md ${f##*/doc-}" "$f"
			agent_valid "docs/experiment-format.md ${f##*/doc-}" "$f"
		done
	else
		bad "docs/experiment-format.md quotes no whole experiment"
	fi
else
	bad "docs/experiment-format.md is missing"
fi

# 4. Small documents, good and bad.  Each is a base experiment with one change.
base='{"version": 1, "title": "t",
  "hypothesis": {"probes": [{"name": "p", "type": "http", "url": "http://127.0.0.1:1/"}]},
  "faults": [{"name": "f", "type": "process.pause", "target": {"name": "worker"}}],
  "safety": {"abort_when": [{"probe": "p", "consecutive_failures": 1}]}}'

# mk NAME PYTHON-EXPR-ON-d: write $TMP/NAME.json from base after running the statement(s).
# probe(KIND, k=v...) replaces probe "p" with one of another kind; rule(k=v...) replaces the
# rules with one on "p".
mk() {
	"$PY" - "$TMP/$1.json" "$2" "$base" <<'EOF'
import json, sys
d = json.loads(sys.argv[3])
TCP = {"name": "p", "type": "tcp", "host": "127.0.0.1", "port": 5432}
PROC = {"name": "p", "type": "process", "target": {"name": "worker"}}
PROM = {"name": "p", "type": "prometheus", "url": "http://127.0.0.1:9090", "query": "up",
        "expect": {"above": 0}}
def probe(kind, **kw):
    d["hypothesis"]["probes"][0] = dict(kind, **kw)
def rule(**kw):
    d["safety"]["abort_when"] = [dict(probe="p", **kw)]
exec(sys.argv[2])
with open(sys.argv[1], "w") as f:
    json.dump(d, f, indent=2)
EOF
}

# good: both accept.  reject: both reject (the base is valid for both, so the rejection comes
# from the change).  agent_only NAME EXPR PATTERN: the schema cannot see the problem, faultctl
# rejects it with an error matching PATTERN (see "What only the agent checks" in the doc).
good() {
	mk "$1" "$2" || return
	expect_valid "accepts: $1" "$TMP/$1.json"
	agent_valid "$1" "$TMP/$1.json"
}
reject() {
	mk "$1" "$2" || return
	expect_invalid "rejects: $1" "$TMP/$1.json" "${3:-}"
	agent_invalid "$1" "$TMP/$1.json"
}
agent_only() {
	mk "$1" "$2" || return
	expect_valid "accepts (only the agent can tell): $1" "$TMP/$1.json"
	agent_invalid "$1" "$TMP/$1.json" "$3"
}

good base 'pass'
good minimal 'd = {"version": 1, "title": "t", "faults": [{"name": "f", "type": "process.kill", "target": {"pid": 42}}]}'
good kill-signal-number 'd["faults"][0].update(type="process.kill", signal=15, interval="1.5s")'
good kill-signal-sigprefix 'd["faults"][0].update(type="process.kill", signal="SIGUSR1")'
good select-percent 'd["faults"][0]["target"]["select"] = {"percent": 50}'
good select-count-cgroup 'd["faults"][0]["target"] = {"cgroup": "/sys/fs/cgroup/app.slice", "select": {"count": 2}}'
good ratio-rule 'd["safety"]["abort_when"] = [{"probe": "p", "failure_ratio_above": 0.5, "window": "10s"}]'
good all-durations 'd["faults"][0].update(start_after="250ms", duration="59m"); d["safety"]["max_duration"] = "1h"; d["hypothesis"]["probes"][0].update(timeout="1500us", interval="10ms")'

reject unknown-top-key 'd["titel"] = "x"' "Additional properties|titel"
reject unknown-target-key 'd["faults"][0]["target"] = {"pidd": 3}' "pidd"
reject unknown-probe-key 'd["hypothesis"]["probes"][0]["urll"] = "x"' "urll"
reject unknown-hypothesis-key 'd["hypothesis"]["during"] = {"duration": "1s"}' "duration"
reject bare-number-duration 'd["faults"][0]["duration"] = "10"' "does not match"
reject numeric-duration 'd["faults"][0]["duration"] = 10' "not of type"
reject duration-bad-unit 'd["faults"][0]["start_after"] = "5sec"' "does not match"
reject duration-space 'd["safety"]["max_duration"] = "5 m"' "does not match"
reject missing-title 'del d["title"]' "'title' is a required property"
reject empty-title 'd["title"] = ""' "title|non-empty|too short"
reject long-title 'd["title"] = "x" * 201' "too long"
reject bad-fault-type 'd["faults"][0]["type"] = "process.explode"' "process.explode"
reject bad-probe-type 'd["hypothesis"]["probes"][0]["type"] = "udp"' "udp"
reject version-2 'd["version"] = 2' "version|1 was expected"
reject no-faults 'd["faults"] = []' "faults|non-empty|should be non-empty|too short"
reject too-many-faults 'd["faults"] = [dict(d["faults"][0], name="f%d" % i) for i in range(65)]' "too long|faults"
reject bad-name 'd["faults"][0]["name"] = "bad name"' "does not match"
reject target-empty 'd["faults"][0]["target"] = {"select": "all"}' "target|not valid"
reject comm-too-long 'd["faults"][0]["target"] = {"name": "a-very-long-command"}' "too long"
reject pid-zero 'd["faults"][0]["target"] = {"pid": 0}' "minimum|less than"
reject cgroup-outside 'd["faults"][0]["target"] = {"cgroup": "/tmp/x"}' "does not match"
reject select-percent-0 'd["faults"][0]["target"]["select"] = {"percent": 0}' "select|not valid"
reject signal-stop 'd["faults"][0].update(type="process.kill", signal="STOP")' "signal|not valid"
reject signal-19 'd["faults"][0].update(type="process.kill", signal=19)' "signal|not valid"
reject signal-on-pause 'd["faults"][0]["signal"] = "TERM"' "signal"
reject rule-two-conditions 'd["safety"]["abort_when"][0].update(failure_ratio_above=0.5, window="1s")' "abort_when|valid under each"
reject rule-no-condition 'del d["safety"]["abort_when"][0]["consecutive_failures"]' "abort_when|not valid"
reject rule-ratio-no-window 'd["safety"]["abort_when"] = [{"probe": "p", "failure_ratio_above": 0.5}]' "window"
reject rule-no-probe 'del d["safety"]["abort_when"][0]["probe"]' "'probe' is a required"
reject probe-no-url 'del d["hypothesis"]["probes"][0]["url"]' "'url' is a required"
reject probe-bad-url 'd["hypothesis"]["probes"][0]["url"] = "ftp://x/"' "does not match"
reject probe-bad-method 'd["hypothesis"]["probes"][0]["method"] = "FETCH"' "FETCH"
reject probe-bad-status 'd["hypothesis"]["probes"][0]["expect"] = {"status": [700]}' "maximum|greater than"
reject ratio-above-1 'd["hypothesis"]["during"] = {"min_success_ratio": 1.5}' "maximum|greater than"

# 5. Probe kinds tcp, process and prometheus.
good tcp-ipv4 'probe(TCP)'
good tcp-ipv6 'probe(TCP, host="::1", port=65535, timeout="200ms", interval="500ms")'
good tcp-ipv6-mapped 'probe(TCP, host="::ffff:10.0.0.7", port=1)'
good process-probe 'probe(PROC, min_count=2, max_count=8)'
good process-probe-any-count 'probe(PROC, target={"cmdline": "^worker( |$)", "cgroup": "/sys/fs/cgroup/app.slice"}, min_count=0, max_count=1)'
good process-probe-pid 'probe(PROC, target={"pid": 4242}, min_count=1, max_count=1)'
good prometheus-below 'probe(PROM, query="sum(rate(http_requests_total{code=~\"5..\"}[1m]))", expect={"below": 0.5}, interval="5s")'
good prometheus-above 'probe(PROM, url="https://prom.example:9090/", expect={"above": -1})'
good prometheus-between 'probe(PROM, expect={"between": [0, 2.5]})'
good prometheus-between-equal 'probe(PROM, expect={"between": [1, 1]})'
good prometheus-below-and-above 'probe(PROM, expect={"above": 0, "below": 10})'

reject tcp-hostname 'probe(TCP, host="localhost")' "host|not valid"
reject tcp-bad-octet 'probe(TCP, host="10.0.0.256")' "host|not valid"
reject tcp-ipv6-zone 'probe(TCP, host="fe80::1%eth0")' "host|not valid"
reject tcp-ipv6-brackets 'probe(TCP, host="[::1]")' "host|not valid"
reject tcp-port-0 'probe(TCP, port=0)' "minimum|less than"
reject tcp-port-65536 'probe(TCP, port=65536)' "maximum|greater than"
reject tcp-port-string 'probe(TCP, port="80")' "not of type"
reject tcp-no-port 'probe(TCP); del d["hypothesis"]["probes"][0]["port"]' "'port' is a required"
reject tcp-no-host 'probe(TCP); del d["hypothesis"]["probes"][0]["host"]' "'host' is a required"
reject tcp-url-key 'probe(TCP, url="http://127.0.0.1:5432/")' "url"
reject process-no-target 'probe(PROC); del d["hypothesis"]["probes"][0]["target"]' "'target' is a required"
reject process-empty-target 'probe(PROC, target={})' "target|not valid"
reject process-select 'probe(PROC, target={"name": "worker", "select": "one"})' "select|False schema"
reject process-pid-0 'probe(PROC, target={"pid": 0})' "minimum|less than"
reject process-min-negative 'probe(PROC, min_count=-1)' "minimum|less than"
reject process-max-0 'probe(PROC, max_count=0)' "minimum|less than"
reject process-count-float 'probe(PROC, min_count=1.5)' "not of type"
reject prometheus-no-expect 'probe(PROM); del d["hypothesis"]["probes"][0]["expect"]' "'expect' is a required"
reject prometheus-empty-expect 'probe(PROM, expect={})' "expect|not valid"
reject prometheus-between-and-below 'probe(PROM, expect={"between": [0, 1], "below": 2})' "expect|should not be valid"
reject prometheus-between-3 'probe(PROM, expect={"between": [0, 1, 2]})' "too long|expected at most"
reject prometheus-between-string 'probe(PROM, expect={"between": ["0", "1"]})' "not of type"
reject prometheus-below-string 'probe(PROM, expect={"below": "1"})' "not of type"
reject prometheus-http-expect 'probe(PROM, expect={"status": [200]})' "status"
reject prometheus-empty-query 'probe(PROM, query="")' "too short|non-empty"
reject prometheus-no-query 'probe(PROM); del d["hypothesis"]["probes"][0]["query"]' "'query' is a required"
reject prometheus-no-scheme 'probe(PROM, url="127.0.0.1:9090")' "does not match"
reject prometheus-method 'probe(PROM, method="POST")' "method"

agent_only process-min-above-max 'probe(PROC, min_count=5, max_count=2)' "below min_count"
agent_only prometheus-between-reversed 'probe(PROM, expect={"between": [2, 1]})' "low <= high"
agent_only tcp-bad-ipv6 'probe(TCP, host="1::2::3")' "not an IPv4 or IPv6"

# 6. Safety rules: latency, value and error-budget conditions.
good rule-latency-p95 'rule(latency_p95_above="250ms", window="30s")'
good rule-latency-p99 'rule(latency_p99_above="1s", window="1m", min_samples=10)'
good rule-value-below-process 'probe(PROC); rule(value_below=1)'
good rule-value-above-prometheus 'probe(PROM); rule(value_above=-0.5)'
good rule-budget-burn 'rule(budget_burn_above=0.5, slo=0.999, window="5m", min_samples=5)'
good rule-budget-burn-slo-0 'rule(budget_burn_above=1, slo=0, window="10s")'
good rule-many 'probe(PROC); d["safety"]["abort_when"] = [{"probe": "p", "consecutive_failures": 3}, {"probe": "p", "value_above": 8}, {"probe": "p", "latency_p99_above": "5ms", "window": "10s"}, {"probe": "p", "budget_burn_above": 0.2, "slo": 0.9, "window": "1m"}]'

reject rule-latency-no-window 'rule(latency_p95_above="250ms")' "window"
reject rule-latency-number 'rule(latency_p99_above=250, window="10s")' "not of type"
reject rule-latency-bare 'rule(latency_p95_above="250", window="10s")' "does not match"
reject rule-value-string 'probe(PROC); rule(value_above="3")' "not of type"
reject rule-value-window 'probe(PROC); rule(value_below=1, window="10s")' "window|False schema"
reject rule-value-min-samples 'probe(PROM); rule(value_above=3, min_samples=2)' "min_samples|False schema"
reject rule-consecutive-window 'rule(consecutive_failures=3, window="10s")' "window|False schema"
reject rule-two-value-conditions 'probe(PROC); rule(value_above=5, value_below=1)' "valid under each"
reject rule-budget-no-slo 'rule(budget_burn_above=0.5, window="5m")' "slo"
reject rule-budget-no-window 'rule(budget_burn_above=0.5, slo=0.99)' "window"
reject rule-budget-slo-1 'rule(budget_burn_above=0.5, slo=1, window="5m")' "maximum|greater than"
reject rule-budget-above-1 'rule(budget_burn_above=1.5, slo=0.99, window="5m")' "maximum|greater than"
reject rule-slo-without-budget 'rule(failure_ratio_above=0.5, window="10s", slo=0.99)' "budget_burn_above"
reject rule-unknown-condition 'rule(latency_p50_above="1s", window="10s")' "latency_p50_above"

agent_only rule-value-on-tcp 'probe(TCP); rule(value_above=1)' "no numeric value"
agent_only rule-value-on-http 'rule(value_below=1)' "no numeric value"
agent_only rule-window-too-short 'rule(latency_p95_above="1ms", window="5ms")' "out of range"
agent_only duration-ranges 'd["hypothesis"]["probes"][0]["timeout"] = "100us"; d["safety"]["max_duration"] = "90m"' "out of range|agent.s limit"

# 7. schedule: not_before and run windows.
good schedule 'd["schedule"] = {"not_before": "2026-11-23T02:00:00Z", "windows": ["Mon-Fri 02:00-04:00 UTC"]}'
good schedule-window-forms 'd["schedule"] = {"windows": ["Fri-Mon 22:00-02:00 UTC", "Sat,Sun 00:00-24:00 UTC", "* 12:00-13:00 UTC", "daily 23:30-00:30 UTC", "mon-wed,Fri 01:00-02:00 UTC", "Sun 23:59-00:00 UTC"]}'
good schedule-time-forms 'd["schedule"] = {"not_before": "2026-11-23T02:00:00.250+00:00"}'
good schedule-32-windows 'd["schedule"] = {"windows": ["Mon %02d:00-%02d:30 UTC" % (h % 24, h % 24) for h in range(32)]}'

reject schedule-unknown-key 'd["schedule"] = {"windows": ["Mon 02:00-04:00 UTC"], "timezone": "UTC"}' "timezone"
reject schedule-local-zone 'd["schedule"] = {"windows": ["Mon-Fri 02:00-04:00 CET"]}' "does not match"
reject schedule-no-zone 'd["schedule"] = {"windows": ["Mon-Fri 02:00-04:00"]}' "does not match"
reject schedule-bad-day 'd["schedule"] = {"windows": ["Mon-Fry 02:00-04:00 UTC"]}' "does not match"
reject schedule-trailing-comma 'd["schedule"] = {"windows": ["Sat, 02:00-04:00 UTC"]}' "does not match"
reject schedule-day-number 'd["schedule"] = {"windows": ["1-5 02:00-04:00 UTC"]}' "does not match"
reject schedule-one-digit-hour 'd["schedule"] = {"windows": ["Mon 2:00-04:00 UTC"]}' "does not match"
reject schedule-hour-25 'd["schedule"] = {"windows": ["Mon 02:00-25:00 UTC"]}' "does not match"
reject schedule-no-days 'd["schedule"] = {"windows": ["02:00-04:00 UTC"]}' "does not match"
reject schedule-no-windows 'd["schedule"] = {"windows": []}' "too short|non-empty|should be non-empty"
reject schedule-33-windows 'd["schedule"] = {"windows": ["Mon 02:00-04:00 UTC"] * 33}' "too long|expected at most"
reject schedule-window-object 'd["schedule"] = {"windows": [{"days": "Mon", "from": "02:00", "to": "04:00"}]}' "not of type"
reject schedule-not-before-offset 'd["schedule"] = {"not_before": "2026-11-23T03:00:00+01:00"}' "does not match"
reject schedule-not-before-date 'd["schedule"] = {"not_before": "2026-11-23"}' "does not match"
reject schedule-not-before-space 'd["schedule"] = {"not_before": "2026-11-23 02:00:00Z"}' "does not match"
reject schedule-not-before-number 'd["schedule"] = {"not_before": 1795399200}' "not of type"

agent_only schedule-empty-window 'd["schedule"] = {"windows": ["daily 02:00-02:00 UTC"]}' "start and end differ"

# Resource stressors (cpu.stress, memory.stress, disk.fill, io.stress).
stress() { echo 'd["faults"] = [dict({"name": "s", "duration": "60s"}, **dict('"$1"'))]'; }
good cpu-stress "$(stress 'type="cpu.stress", load=80, cores=[0, 1], mode="host"')"
good cpu-stress-count "$(stress 'type="cpu.stress", load=12.5, cores=2, mode="per_core"')"
good cpu-stress-all "$(stress 'type="cpu.stress", load=100, cores="all"')"
good memory-stress-size "$(stress 'type="memory.stress", size="2GiB", ramp="10s"')"
good memory-stress-percent "$(stress 'type="memory.stress", percent=50')"
good disk-fill-size "$(stress 'type="disk.fill", path="/var/lib/app", size="10GiB"')"
good disk-fill-percent "$(stress 'type="disk.fill", path="/var/lib/app", fill_to_percent=100, floor_percent=0')"
good io-stress "$(stress 'type="io.stress", path="/var/lib/app", workers=2, mode="mixed", block_size="1MiB", file_size="64MiB"')"
reject cpu-load-0 "$(stress 'type="cpu.stress", load=0')" "minimum|less than"
reject cpu-no-load "$(stress 'type="cpu.stress"')" "'load' is a required"
reject cpu-cores-dup "$(stress 'type="cpu.stress", load=50, cores=[0, 0]')" "cores|non-unique|not valid"
reject cpu-mode "$(stress 'type="cpu.stress", load=50, mode="both"')" "is not one of"
reject memory-both "$(stress 'type="memory.stress", size="1GiB", percent=10')" "valid under each"
reject memory-neither "$(stress 'type="memory.stress"')" "not valid under any"
reject memory-size-number "$(stress 'type="memory.stress", size=1024')" "not of type"
reject memory-percent-0 "$(stress 'type="memory.stress", percent=0')" "less than or equal|exclusiveMinimum|not valid"
reject disk-relative "$(stress 'type="disk.fill", path="var/lib", size="1GiB"')" "does not match"
reject disk-no-path "$(stress 'type="disk.fill", size="1GiB"')" "'path' is a required"
reject disk-floor-60 "$(stress 'type="disk.fill", path="/x", size="1GiB", floor_percent=60')" "maximum|greater than"
reject io-workers-65 "$(stress 'type="io.stress", path="/x", workers=65')" "maximum|greater than"
reject io-mode "$(stress 'type="io.stress", path="/x", mode="random"')" "is not one of"
reject io-unknown-key "$(stress 'type="io.stress", path="/x", threads=2')" "threads"
agent_only io-block-5000 "$(stress 'type="io.stress", path="/x", block_size="5000"')" "multiple of 4096"
agent_only io-file-below-block "$(stress 'type="io.stress", path="/x", block_size="1MiB", file_size="4KiB"')" "at least 'block_size'"
agent_only memory-ramp-long "$(stress 'type="memory.stress", size="1GiB", ramp="2m"')" "longer than the duration"
agent_only disk-fill-over-floor "$(stress 'type="disk.fill", path="/x", fill_to_percent=100')" "less than the floor"

# Duplicate keys are errors in the format; the checker's loader enforces that.
printf '{"version": 1, "title": "a", "title": "b", "faults": [{"name": "f", "type": "process.pause", "target": {"pid": 2}}]}\n' >"$TMP/dup.json"
expect_invalid "rejects: duplicate-key" "$TMP/dup.json" "duplicate key"
agent_invalid duplicate-key "$TMP/dup.json" "duplicate"

finish
