#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# faultctl without an agent: help and usage errors of every command, offline validation,
# the "cannot reach" path, and offline recovery of an empty (and of a locked) state directory.
# Exit codes are the documented ones from agent/proto.h (enum ctl_exit).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

COMMANDS=(validate run plan status list abort recover version help)
NOSOCK=$T/no-such.sock
OUT=$T/out
ERR=$T/err

# expect RC PATTERN DESCRIPTION -- COMMAND...: COMMAND exits RC and its stdout+stderr match the
# extended regex PATTERN (empty: anything).
expect() {
	local want=$1 pat=$2 desc=$3 rc
	shift 4
	"$@" >"$OUT" 2>"$ERR" </dev/null
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		not_ok "$desc: exit $rc, expected $want"
		sed 's/^/     | /' "$OUT" "$ERR" | head -n 20
	elif [ -n "$pat" ] && ! cat "$OUT" "$ERR" | grep -qE -- "$pat"; then
		not_ok "$desc: output does not match /$pat/"
		sed 's/^/     | /' "$OUT" "$ERR" | head -n 20
	else
		ok "$desc"
	fi
}

# Experiment files.
cat >"$T/good.json" <<'EOF'
{"version":1,"title":"t","faults":[{"name":"p","type":"process.pause","target":{"pid":999999},"duration":"1s"}]}
EOF
printf '{"version":1,"title":"t","faults":[],\n  "bogus":1}\n' >"$T/bad.json"
printf '{"version":1,"title":"t",' >"$T/truncated.json"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$T/huge.json"

# ---- help and usage ------------------------------------------------------------------------
expect 0 'Usage: faultctl' "faultctl --help" -- "$FAULTCTL" --help
expect 0 'Usage: faultctl' "faultctl -h" -- "$FAULTCTL" -h
expect 0 'Exit status' "faultctl --help documents exit codes" -- "$FAULTCTL" --help
expect 0 '^faultctl [0-9]' "faultctl --version" -- "$FAULTCTL" --version
for c in "${COMMANDS[@]}"; do
	expect 0 "faultctl $c" "$c --help" -- "$FAULTCTL" "$c" --help
	expect 0 "faultctl $c" "$c -h" -- "$FAULTCTL" "$c" -h
	expect 0 "faultctl $c" "help $c" -- "$FAULTCTL" help "$c"
	expect 2 "unrecognized option" "$c --bogus-option" -- "$FAULTCTL" "$c" --bogus-option
done
expect 2 'no command' "no command" -- "$FAULTCTL"
expect 2 "unknown command 'frobnicate'" "unknown command" -- "$FAULTCTL" frobnicate
expect 2 'unrecognized option' "unknown global option" -- "$FAULTCTL" --bogus status
expect 2 '' "--socket needs a value" -- "$FAULTCTL" --socket
expect 2 'non-empty' "--socket ''" -- "$FAULTCTL" --socket '' status
expect 2 'no experiment file' "validate without a file" -- "$FAULTCTL" validate
expect 2 'no experiment file' "run without a file" -- "$FAULTCTL" --socket "$NOSOCK" run
expect 2 'exactly one file' "run with two files" -- \
	"$FAULTCTL" --socket "$NOSOCK" run "$T/good.json" "$T/good.json"
expect 2 'either a run ID or --all' "abort without an id" -- "$FAULTCTL" --socket "$NOSOCK" abort
expect 2 'either a run ID or --all' "abort with an id and --all" -- \
	"$FAULTCTL" --socket "$NOSOCK" abort abc --all
expect 2 "unexpected argument 'b'" "status with two ids" -- "$FAULTCTL" --socket "$NOSOCK" status a b
expect 2 "unexpected argument" "list with an argument" -- "$FAULTCTL" --socket "$NOSOCK" list x
expect 2 "unknown command" "help on an unknown command" -- "$FAULTCTL" help frobnicate

# ---- validate (offline) --------------------------------------------------------------------
expect 0 "^$T/good.json: ok\$" "validate a valid file" -- "$FAULTCTL" validate "$T/good.json"
expect 2 "^$T/bad.json:2:3: \\\$\\.bogus: " "validate an invalid file: FILE:LINE:COL: \$.path: message" \
	-- "$FAULTCTL" validate "$T/bad.json"
expect 2 "^$T/bad.json:[0-9]+:[0-9]+: \\\$\\.faults: " "validate reports every error" \
	-- "$FAULTCTL" validate "$T/bad.json"
expect 2 "^$T/good.json: ok\$" "validate a mix: the valid one is still ok" \
	-- "$FAULTCTL" validate "$T/good.json" "$T/bad.json"
expect 2 "^$T/truncated.json:[0-9]+:[0-9]+: " "validate a truncated file" \
	-- "$FAULTCTL" validate "$T/truncated.json"
expect 2 "$T/missing.json: cannot read" "validate a missing file" \
	-- "$FAULTCTL" validate "$T/missing.json"
expect 2 "$T/huge.json: larger than" "validate a file over the size limit" \
	-- "$FAULTCTL" validate "$T/huge.json"
if "$FAULTCTL" validate - <"$T/good.json" >"$OUT" 2>&1; then
	ok "validate - reads standard input"
else
	not_ok "validate - reads standard input"
fi
"$FAULTCTL" validate --json "$T/good.json" "$T/bad.json" >"$OUT" 2>"$ERR"
rc=$?
if [ "$rc" -eq 2 ] && /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["ok"] for x in d] == [True, False], d
assert d[1]["errors"][0]["path"].startswith("$."), d
assert all(k in d[1]["errors"][0] for k in ("file", "line", "column", "message", "text")), d
' "$OUT"; then
	ok "validate --json"
else
	not_ok "validate --json (exit $rc)"
	sed 's/^/     | /' "$OUT" "$ERR" | head -n 20
fi
# run validates before it contacts the agent: an invalid file never gets to "cannot reach".
expect 2 "^$T/bad.json:[0-9]+:[0-9]+: \\\$\\.bogus: " "run checks the file before sending it" \
	-- "$FAULTCTL" --socket "$NOSOCK" run "$T/bad.json"

# ---- no agent ------------------------------------------------------------------------------
expect 3 "cannot reach faultlined at $NOSOCK" "status without an agent" \
	-- "$FAULTCTL" --socket "$NOSOCK" status
expect 3 "cannot reach faultlined at $NOSOCK" "list without an agent" \
	-- "$FAULTCTL" --socket "$NOSOCK" list
expect 3 "cannot reach faultlined at $NOSOCK" "abort without an agent" \
	-- "$FAULTCTL" --socket "$NOSOCK" abort abc
expect 3 "cannot reach faultlined at $NOSOCK" "run of a valid file without an agent" \
	-- "$FAULTCTL" --socket "$NOSOCK" run --wait "$T/good.json"
expect 3 "cannot reach faultlined at $T/env.sock" "\$FAULTLINE_SOCKET is the default socket" \
	-- env FAULTLINE_SOCKET="$T/env.sock" "$FAULTCTL" status
expect 3 "cannot reach faultlined at $T/env.sock" "--socket wins over \$FAULTLINE_SOCKET" \
	-- env FAULTLINE_SOCKET=/nonexistent/x "$FAULTCTL" --socket "$T/env.sock" status
expect 0 "^faultlined: cannot reach faultlined at $NOSOCK" "version without an agent" \
	-- "$FAULTCTL" --socket "$NOSOCK" version

# A socket file nobody listens on (ECONNREFUSED) is as unreachable as a missing one.
STALE=$T/stale.sock
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$STALE"
expect 3 "cannot reach faultlined at $STALE: Connection refused" "status on a stale socket" \
	-- "$FAULTCTL" --socket "$STALE" status

# ---- offline recover -----------------------------------------------------------------------
SD=$T/state-empty
mkdir -p "$SD"
expect 0 '^recovered 0, failed 0, corrupt 0$' "recover offline on an empty state dir" \
	-- "$FAULTCTL" --socket "$NOSOCK" --state-dir "$SD" recover
expect 0 '"source": "offline"' "recover --json offline" \
	-- "$FAULTCTL" --socket "$NOSOCK" --state-dir "$SD" recover --json
expect 0 '^recovered 0, ' "recover offline on a stale socket" \
	-- "$FAULTCTL" --socket "$STALE" --state-dir "$SD" recover
expect 0 '^recovered 0, ' "recover offline creates a missing state dir" \
	-- "$FAULTCTL" --socket "$NOSOCK" --state-dir "$T/state-new" recover
expect 0 '^recovered 0, ' "\$FAULTLINE_STATE_DIR is the default state dir" \
	-- env FAULTLINE_STATE_DIR="$SD" "$FAULTCTL" --socket "$NOSOCK" recover

# Someone (as an agent would) holds the journal lock: offline recovery must not touch it.
echo 4242 >"$SD/lock"
exec 9>>"$SD/lock"
if flock -n 9; then
	expect 3 "the agent \\(pid 4242\\) holds $SD but its socket $NOSOCK is unreachable" \
		"recover refuses a locked state dir" \
		-- "$FAULTCTL" --socket "$NOSOCK" --state-dir "$SD" recover
else
	not_ok "cannot take the lock of $SD for the test"
fi
exec 9>&-

t_finish
