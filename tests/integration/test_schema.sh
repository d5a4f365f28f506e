#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lint experiments against experiments/schema.json (JSON Schema draft 2020-12) with Debian's
# python3-jsonschema: every experiments/*.json and every full experiment in
# docs/experiment-format.md must be valid; a set of deliberately bad documents must not be.
# The C validator (faultctl validate) remains the authority; this keeps the schema honest.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMA="$ROOT/experiments/schema.json"
DOC="$ROOT/docs/experiment-format.md"
PY=/usr/bin/python3 # not a pyenv python that may come first in PATH

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

# 2. Every shipped example.
n=0
for f in "$ROOT"/experiments/*.json; do
	[ "$f" = "$SCHEMA" ] && continue
	[ -e "$f" ] || continue
	n=$((n + 1))
	expect_valid "example ${f#"$ROOT"/}" "$f"
done
[ "$n" -gt 0 ] || bad "no example experiments found in experiments/"

# 3. Whole experiments quoted in the format reference.
if [ -f "$DOC" ]; then
	mkdir -p "$TMP/doc"
	n=$("$PY" "$TMP/extract.py" "$DOC" "$TMP/doc")
	if [ "${n:-0}" -gt 0 ]; then
		for f in "$TMP"/doc/*.json; do
			expect_valid "docs/experiment-format.md ${f##*/doc-}" "$f"
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
mk() {
	"$PY" - "$TMP/$1.json" "$2" "$base" <<'EOF'
import json, sys
d = json.loads(sys.argv[3])
exec(sys.argv[2])
with open(sys.argv[1], "w") as f:
    json.dump(d, f, indent=2)
EOF
}

good() { mk "$1" "$2" && expect_valid "accepts: $1" "$TMP/$1.json"; }
reject() { mk "$1" "$2" && expect_invalid "rejects: $1" "$TMP/$1.json" "${3:-}"; }

good base 'pass'
good minimal 'd = {"version": 1, "title": "t", "faults": [{"name": "f", "type": "process.kill", "target": {"pid": 42}}]}'
good kill-signal-number 'd["faults"][0].update(type="process.kill", signal=15, interval="1.5s")'
good kill-signal-sigprefix 'd["faults"][0].update(type="process.kill", signal="SIGUSR1")'
good select-percent 'd["faults"][0]["target"]["select"] = {"percent": 50}'
good select-count-cgroup 'd["faults"][0]["target"] = {"cgroup": "/sys/fs/cgroup/app.slice", "select": {"count": 2}}'
good ratio-rule 'd["safety"]["abort_when"] = [{"probe": "p", "failure_ratio_above": 0.5, "window": "10s"}]'
good all-durations 'd["faults"][0].update(start_after="250ms", duration="1h"); d["safety"]["max_duration"] = "90m"; d["hypothesis"]["probes"][0].update(timeout="100us", interval="10ms")'

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
reject bad-probe-type 'd["hypothesis"]["probes"][0]["type"] = "tcp"' "tcp"
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

# Duplicate keys are errors in the format; the checker's loader enforces that.
printf '{"version": 1, "title": "a", "title": "b", "faults": [{"name": "f", "type": "process.pause", "target": {"pid": 2}}]}\n' >"$TMP/dup.json"
expect_invalid "rejects: duplicate-key" "$TMP/dup.json" "duplicate key"

finish
