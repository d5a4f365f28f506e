# SPDX-License-Identifier: MIT
# Shared helpers for integration tests (bash, run as root).  Source it, then call t_finish last.
# Everything a test starts is recorded here and removed by the EXIT trap, also on failure.
set -u
BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd)
# Overridable: the sanitizer run (tests/integration/test_sanitizers.sh) points them elsewhere.
FAULTLINED=${FAULTLINED:-$BUILD/faultlined}
FAULTCTL=${FAULTCTL:-$BUILD/faultctl}
T=$(mktemp -d /tmp/faultline-it.XXXXXX)
chmod 0755 "$T"
export FAULTLINE_SOCKET=$T/faultline.sock
export FAULTLINE_STATE_DIR=$T/state
# Agents started by tests never read the host's /etc/faultline/faultlined.conf.
export FAULTLINE_CONFIG=/dev/null
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_PIDS=()
T_CLEANUP=()
AGENT_PID=

ok() { T_PASSED=$((T_PASSED + 1)); echo "ok - $*"; }
not_ok() { T_FAILED=$((T_FAILED + 1)); echo "not ok - $*"; }
skip() { T_SKIPPED=$((T_SKIPPED + 1)); echo "skip - $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# Remember a PID we started so the trap can stop it (never by name).
track() { T_PIDS+=("$1"); }
on_exit() { T_CLEANUP+=("$1"); }

t_cleanup() {
	local p
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUP[$i]}" || true; done
	for p in "${T_PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$AGENT_PID" ]; then
		kill -TERM "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap t_cleanup EXIT

t_finish() {
	if [ "$T_SKIPPED" -ne 0 ]; then
		echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
	else
		echo "$T_PASSED passed, $T_FAILED failed"
	fi
	[ "$T_FAILED" -eq 0 ]
}

# Poll until COMMAND succeeds or TIMEOUT seconds pass (tests only: the agent never polls).
wait_for() {
	local timeout=$1 i
	shift
	for ((i = 0; i < timeout * 20; i++)); do
		if "$@" 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

# One-letter process state from /proc (R, S, T, Z, ...), or "gone".
proc_state() {
	local s
	s=$(awk '{ sub(/^.*\) /, ""); print substr($0, 1, 1) }' "/proc/$1/stat" 2>/dev/null)
	echo "${s:-gone}"
}
is_stopped() { [ "$(proc_state "$1")" = T ]; }
is_running() { case $(proc_state "$1") in R | S | D) return 0 ;; *) return 1 ;; esac; }
is_gone() { case $(proc_state "$1") in gone | Z) return 0 ;; *) return 1 ;; esac; }

start_agent() {
	"$FAULTLINED" --log-level debug "$@" >>"$T/agent.log" 2>&1 &
	AGENT_PID=$!
	wait_for 10 "$FAULTCTL" list >/dev/null || {
		echo "agent did not come up; its log:"
		cat "$T/agent.log"
		return 1
	}
}

stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

kill9_agent() {
	kill -KILL "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

journal_count() { find "$FAULTLINE_STATE_DIR/journal" -name '*.json' 2>/dev/null | wc -l; }

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! ss -Htln "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
	done
	return 1
}

# start_http PORT [ADDR]: busybox httpd serving /health = "ok"; sets HTTP_PID.
start_http() {
	local port=$1 addr=${2:-127.0.0.1}
	mkdir -p "$T/www"
	echo ok >"$T/www/health"
	busybox httpd -f -p "$addr:$port" -h "$T/www" &
	HTTP_PID=$!
	track "$HTTP_PID"
	wait_for 10 bash -c "exec 3<>/dev/tcp/$addr/$port" || return 1
}

# A process to use as a target: "sleep" under a distinctive name; sets TARGET_PID.
start_target() {
	local name=${1:-fl-target}
	bash -c "exec -a $name sleep 600" &
	TARGET_PID=$!
	track "$TARGET_PID"
	wait_for 5 grep -q "$name" "/proc/$TARGET_PID/cmdline"
}

# Value of a JSON field from a run's status: run_field ID EXPR (jq-less: python3).
run_field() {
	"$FAULTCTL" status "$1" --json | /usr/bin/python3 -c "
import json, sys
d = json.load(sys.stdin)
r = d['runs'][0] if 'runs' in d else d
print(eval(sys.argv[1], {}, {'r': r}))" "$2"
}
